"""Init time of the watcher package (docs/lambda.md): process start of the unzipped bootstrap to its first
GET /2018-06-01/runtime/invocation/next on a local Runtime API stub, with moto_server as AWS (one permission set
resolved by name, the DynamoDB store). The first run also serves one scheduled invocation and prints its answer.
Needs moto_server and boto3 (as the tests do). Usage:
  src/PimBridge.Lambda/build-lambda.sh && unzip -q artifacts/pimbridge-watcher.zip -d artifacts/watcher
  python3 src/PimBridge.Lambda/measure-init.py artifacts/watcher 7"""
import json, os, socket, subprocess, sys, threading, time, statistics
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import boto3

pkg, runs = sys.argv[1], int(sys.argv[2])
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

moto_port = free_port()
moto = subprocess.Popen(["moto_server", "-p", str(moto_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
endpoint = f"http://127.0.0.1:{moto_port}"
for _ in range(100):
    try: socket.create_connection(("127.0.0.1", moto_port), 0.2).close(); break
    except OSError: time.sleep(0.1)
kw = dict(endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
instance = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
boto3.client("sso-admin", **kw).create_permission_set(Name="Admin", InstanceArn=instance, SessionDuration="PT1H")
ddb = boto3.client("dynamodb", **kw)
S = lambda n: {"AttributeName": n, "AttributeType": "S"}
ddb.create_table(TableName="pimbridge-state", BillingMode="PAY_PER_REQUEST",
    AttributeDefinitions=[S(n) for n in ["pk","sk","due_kind","due_at","gsi1pk","gsi1sk","gsi2pk","gsi2sk"]],
    KeySchema=[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
    GlobalSecondaryIndexes=[{"IndexName": n, "KeySchema":[{"AttributeName":h,"KeyType":"HASH"},{"AttributeName":r,"KeyType":"RANGE"}], "Projection":{"ProjectionType":"ALL"}}
        for n,h,r in [("due","due_kind","due_at"),("gsi1","gsi1pk","gsi1sk"),("gsi2","gsi2pk","gsi2sk")]])
config = {"IdentityCenter": {"InstanceArn": instance, "IdentityStoreId": "d-1234567890", "Region": "eu-west-1"},
          "Mappings": [{"Name": "ops-admin", "EntraGroupId": "11111111-1111-1111-1111-111111111111",
                        "AccountAssignments": {"PermissionSet": "Admin", "Accounts": ["111111111111"]}}]}

state = {}
class Stub(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            first = "next" not in state
            state.setdefault("next", time.monotonic())
            if first and state.get("invoke"):
                body = b'{"source":"aws.scheduler"}'
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time()*1000) + 60000))
                self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
            state["event"].set()
            time.sleep(5)
        self.send_response(500); self.end_headers()
    def do_POST(self):
        if "/response" in self.path or "/invocation/req-1/error" in self.path:
            state["result"] = self.path + " " + self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if "init/error" in self.path:
            state["error"] = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode(); state["event"].set()
        self.send_response(202); self.end_headers()

stub_port = free_port()
server = ThreadingHTTPServer(("127.0.0.1", stub_port), Stub)
threading.Thread(target=server.serve_forever, daemon=True).start()
env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{stub_port}", LAMBDA_TASK_ROOT=pkg,
           PIMBRIDGE_CONFIG_JSON=json.dumps(config), PimBridge__DynamoDbTable="pimbridge-state",
           PimBridge__AwsEndpoint=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="eu-west-1")
env.pop("DOTNET_ROOT", None)
times = []
try:
    for i in range(runs):
        state.clear(); state["event"] = threading.Event(); state["invoke"] = (i == 0)
        start = time.monotonic()
        p = subprocess.Popen([os.path.join(pkg, "bootstrap")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not state["event"].wait(60): p.kill(); raise SystemExit("no /next in 60 s: " + p.stderr.read().decode())
        if "error" in state: p.kill(); raise SystemExit("init error: " + state["error"])
        ms = (state["next"] - start) * 1000; times.append(ms)
        p.kill(); p.wait(); p.stderr.close()
        print(f"run {i+1}: {ms:.0f} ms" + (f"; invocation: {state.get('result')}" if i == 0 else ""), flush=True)
finally:
    server.shutdown(); moto.terminate(); moto.wait()
print(f"init ms: median {statistics.median(times):.0f}, range {min(times):.0f}-{max(times):.0f}, runs {len(times)}")
