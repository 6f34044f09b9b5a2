namespace PimBridge.Aws.Transport;

/// <summary>Which queue a request waits in at the rate limiter.</summary>
internal enum RequestPriority
{
    Normal,

    /// <summary>
    /// Sent before any waiting <see cref="Normal"/> request: a call on an account-assignment operation holding one of
    /// AWS's 15 operation slots (its start, its status looks: each moment it waits keeps a slot idle), and the fence
    /// policy's calls (a session that outlives its access acts until they are done). Such calls cannot starve the rest:
    /// the 15 slots and AWS's 1–3 s per operation keep the first well under the rate, and a permission set's policy is
    /// written by one sync at a time.
    /// </summary>
    Urgent,
}
