namespace PimBridge.Core.Gaps;

/// <summary>
/// A read-only view of another stream that remembers the first failure of reading that stream itself. A decompressor
/// or parser reading through it throws the same exception types for a dropped download as for a damaged file; this
/// tells the two apart. It can first replay a few bytes already read from the stream (a peeked header). The inner
/// stream stays its owner's to dispose.
/// </summary>
public sealed class FaultRecordingStream(Stream inner, ReadOnlyMemory<byte> prefix = default) : Stream
{
    private int _position;

    /// <summary>The first exception reading the inner stream threw (cancellation aside), or null while it has not failed.</summary>
    public Exception? Fault { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (ReplayPrefix(buffer) is var replayed and > 0) return replayed;
        try
        {
            return inner.Read(buffer);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fault ??= e;
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (ReplayPrefix(buffer.Span) is var replayed and > 0) return replayed;
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fault ??= e;
            throw;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int ReplayPrefix(Span<byte> buffer)
    {
        if (_position >= prefix.Length || buffer.IsEmpty) return 0;
        var n = Math.Min(buffer.Length, prefix.Length - _position);
        prefix.Span.Slice(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }
}
