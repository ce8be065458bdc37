using System.Buffers.Binary;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Agent.Api;

/// <summary>What a client attached to: the streams it wants and how they are framed.</summary>
public sealed record AttachStreams(bool Stdin, bool Stdout, bool Stderr, bool Tty, bool CloseStdinAtEnd, DetachKeys DetachKeys)
{
    /// <summary>Docker's media types: raw bytes for a terminal, 8-byte frame headers otherwise.</summary>
    public string ContentType => Tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream";

    public bool Wants(int stream) => stream == 2 ? Stderr : Stdout;
}

/// <summary>
/// Copies between a hijacked client connection and a process's monitor: output as docker
/// frames it (raw for a terminal, stdcopy headers otherwise), input to the process's stdin.
/// The session ends when the output ends (the process exited), the client typed the detach keys, or
/// its input ended on a stream that does not close the process's stdin.
/// </summary>
public static class AttachSession
{
    /// <summary>Docker's stdcopy frame: stream byte, three zeros, big-endian length, then the bytes.</summary>
    public static byte[] Frame(int stream, ReadOnlySpan<byte> data)
    {
        var frame = new byte[8 + data.Length];
        WriteHeader(frame, stream, data.Length);
        data.CopyTo(frame.AsSpan(8));
        return frame;
    }

    /// <summary>The 8-byte header: the stream (1 stdout, 2 stderr), three zero bytes, the payload's length big-endian.</summary>
    public static void WriteHeader(Span<byte> frame, int stream, int length)
    {
        frame[0] = (byte)stream;
        frame[1..4].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(frame[4..], (uint)length);
    }

    public static Task<bool> WriteAsync(HijackedConnection client, AttachStreams streams, int stream, ReadOnlyMemory<byte> data, CancellationToken ct) =>
        !streams.Wants(stream) || data.IsEmpty ? Task.FromResult(true)
        : streams.Tty ? client.WriteAsync(data, ct)
        : client.WriteAsync(Frame(stream, data.Span), ct);

    public static async Task RunAsync(HijackedConnection client, ShimConnection shim, AttachStreams streams, ILogger log, CancellationToken ct)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var input = streams.Stdin ? CopyInputAsync(client, shim, streams, session) : Task.CompletedTask;
        try
        {
            while (await shim.ReceiveAsync(session.Token) is { } chunk)
                if (!await WriteAsync(client, streams, chunk.Stream, chunk.Data, session.Token))
                    break;
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
            // detached, or the agent is stopping
        }
        catch (IOException e)
        {
            log.LogDebug("attach output ended: {Message}", e.Message);
        }
        await session.CancelAsync();
        try
        {
            await input;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException)
        {
        }
    }

    private static async Task CopyInputAsync(HijackedConnection client, ShimConnection shim, AttachStreams streams, CancellationTokenSource session)
    {
        var detached = false;
        while (!detached && await client.ReadAsync(session.Token) is { } data)
        {
            var pass = streams.DetachKeys.Scan(data, out detached);
            if (pass.Length > 0)
                await shim.SendInputAsync(pass, session.Token);
        }
        // As dockerd: the end of the client's input (or its detach) closes the process's stdin when it
        // is StdinOnce without a terminal, and the output goes on to its end; otherwise the attach ends
        // there, leaving the process running.
        if (streams.CloseStdinAtEnd && !streams.Tty)
        {
            await shim.CloseStdinAsync(session.Token);
            if (!detached)
                return;
        }
        await session.CancelAsync();
    }
}
