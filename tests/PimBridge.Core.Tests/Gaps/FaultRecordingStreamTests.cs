using PimBridge.Core.Gaps;

namespace PimBridge.Core.Tests.Gaps;

public sealed class FaultRecordingStreamTests
{
    [Fact]
    public async Task A_clean_read_records_no_fault_and_replays_the_prefix_first()
    {
        var stream = new FaultRecordingStream(new MemoryStream([3, 4, 5]), new byte[] { 1, 2 });

        var all = new MemoryStream();
        await stream.CopyToAsync(all);

        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, all.ToArray());
        Assert.Null(stream.Fault);
    }

    [Fact]
    public void A_small_buffer_gets_the_prefix_piece_by_piece()
    {
        var stream = new FaultRecordingStream(new MemoryStream([9]), new byte[] { 1, 2, 3 });
        var buffer = new byte[2];

        Assert.Equal(2, stream.Read(buffer));
        Assert.Equal(new byte[] { 1, 2 }, buffer);
        Assert.Equal(1, stream.Read(buffer));
        Assert.Equal(3, buffer[0]);
        Assert.Equal(1, stream.Read(buffer));
        Assert.Equal(9, buffer[0]);
        Assert.Equal(0, stream.Read(buffer));
    }

    [Fact]
    public async Task A_failing_inner_stream_is_recorded_with_its_first_exception_and_still_thrown()
    {
        var first = new IOException("connection reset");
        var stream = new FaultRecordingStream(new FailingStream(first, new IOException("second")));

        Assert.Same(first, await Assert.ThrowsAsync<IOException>(async () => { _ = await stream.ReadAsync(new byte[4]); }));
        Assert.Throws<IOException>(() => { _ = stream.Read(new byte[4]); });

        Assert.Same(first, stream.Fault);
    }

    [Fact]
    public async Task A_cancelled_read_is_not_a_fault()
    {
        var stream = new FaultRecordingStream(new FailingStream(new OperationCanceledException()));

        await Assert.ThrowsAsync<OperationCanceledException>(async () => { _ = await stream.ReadAsync(new byte[4]); });

        Assert.Null(stream.Fault);
    }

    [Fact]
    public async Task Disposing_it_leaves_the_inner_stream_to_its_owner()
    {
        var inner = new MemoryStream([1]);
        await new FaultRecordingStream(inner).DisposeAsync();

        Assert.True(inner.CanRead);
    }

    /// <summary>Throws the given exceptions from successive reads.</summary>
    private sealed class FailingStream(params Exception[] failures) : Stream
    {
        private int _next;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw failures[Math.Min(_next++, failures.Length - 1)];
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
