using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace ContainerConsole.Server.Agents;

/// <summary>The long-lived calls: logs, stats, pull progress and exec sessions. Only opening each stream is bounded by the timeout.</summary>
public sealed partial class DockerEngineClient
{
    private const string RawStreamType = "application/vnd.docker.raw-stream";

    /// <summary>
    /// <c>GET /containers/{id}/logs?timestamps=1</c>: the last <paramref name="tail"/> lines (all when null), lines
    /// after <paramref name="since"/> only when given, then, when <paramref name="follow"/>, new lines as they come.
    /// Handles both the 8-byte multiplexed framing and a TTY container's raw stream.
    /// </summary>
    public async IAsyncEnumerable<DockerLogLine> StreamLogsAsync(
        string id, int? tail, DateTimeOffset? since, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = $"containers/{Uri.EscapeDataString(id)}/logs?stdout=1&stderr=1&timestamps=1&follow={(follow ? 1 : 0)}&tail={(tail is { } n ? n.ToString(CultureInfo.InvariantCulture) : "all")}";
        if (since is { } from)
        {
            var nanos = (from.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
            path += FormattableString.Invariant($"&since={nanos / 1_000_000_000}.{nanos % 1_000_000_000:D9}");
        }

        using var response = await SendAsync(HttpMethod.Get, path, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var raw = response.Content.Headers.ContentType?.MediaType == RawStreamType;
        var lines = new LogLineSplitter();
        var header = new byte[8];
        var buffer = new byte[16 * 1024];
        while (true)
        {
            LogStream source;
            int length;
            if (raw)
            {
                source = LogStream.Stdout;
                length = await stream.ReadAsync(buffer, cancellationToken);
                if (length == 0)
                {
                    break;
                }
            }
            else
            {
                if (!await ReadFullyAsync(stream, header, cancellationToken))
                {
                    break;
                }

                source = header[0] == 2 ? LogStream.Stderr : LogStream.Stdout;
                length = (header[4] << 24) | (header[5] << 16) | (header[6] << 8) | header[7];
                if (length > buffer.Length)
                {
                    buffer = new byte[length];
                }

                if (!await ReadFullyAsync(stream, buffer.AsMemory(0, length), cancellationToken))
                {
                    break;
                }
            }

            foreach (var line in lines.Add(source, buffer.AsSpan(0, length)))
            {
                yield return line;
            }
        }

        foreach (var line in lines.Flush())
        {
            yield return line;
        }
    }

    /// <summary><c>GET /containers/{id}/stats</c>: a document about every second until the container stops or the caller cancels.</summary>
    public async IAsyncEnumerable<DockerStats> StreamStatsAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = $"containers/{Uri.EscapeDataString(id)}/stats?stream=1";
        using var response = await SendAsync(HttpMethod.Get, path, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await foreach (var document in ReadJsonLinesAsync(response, path, cancellationToken))
        {
            var stats = document.Deserialize(DockerStreamJsonContext.Default.DockerStats);
            if (stats is not null)
            {
                yield return stats;
            }
        }
    }

    /// <summary><c>GET /containers/{id}/stats?stream=0&amp;one-shot=1</c>: one sample right away, without the 1 s CPU baseline.</summary>
    public async Task<DockerStats> GetStatsOnceAsync(string id, CancellationToken cancellationToken)
    {
        var path = $"containers/{Uri.EscapeDataString(id)}/stats?stream=0&one-shot=1";
        using var response = await SendAsync(HttpMethod.Get, path, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync(DockerStreamJsonContext.Default.DockerStats, cancellationToken)
                ?? throw new DockerEngineException(response.StatusCode, $"GET /{path} answered null.");
        }
        catch (JsonException ex)
        {
            throw new DockerEngineException(response.StatusCode, $"GET /{path} answered malformed JSON: {ex.Message}");
        }
    }

    /// <summary>
    /// <c>POST /images/create?fromImage=&amp;tag=</c>: the agent's JSON progress messages as they come (an
    /// <c>error</c> message ends the pull; it is passed on like the others).
    /// </summary>
    public async IAsyncEnumerable<JsonElement> PullImageAsync(string image, string? tag, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = $"images/create?fromImage={Uri.EscapeDataString(image)}";
        if (!string.IsNullOrEmpty(tag))
        {
            path += $"&tag={Uri.EscapeDataString(tag)}";
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        using var response = await SendRequestAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await foreach (var message in ReadJsonLinesAsync(response, path, cancellationToken))
        {
            yield return message;
        }
    }

    /// <summary>
    /// The JSON messages of a progress stream opened with <see cref="LoadImageAsync"/> or <see cref="BuildImageAsync"/>
    /// as they come; disposes <paramref name="response"/> at the end.
    /// </summary>
    public async IAsyncEnumerable<JsonElement> ReadProgressAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        {
            await foreach (var message in ReadJsonLinesAsync(response, response.RequestMessage?.RequestUri?.OriginalString ?? "", cancellationToken))
            {
                yield return message;
            }
        }
    }

    /// <summary><c>POST /containers/{id}/exec</c>; returns the exec id.</summary>
    public async Task<string> CreateExecAsync(string containerId, DockerExecConfig config, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"containers/{Uri.EscapeDataString(containerId)}/exec")
        {
            Content = JsonContent.Create(config, DockerStreamJsonContext.Default.DockerExecConfig),
        };
        using var response = await SendRequestAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var created = await response.Content.ReadFromJsonAsync(DockerStreamJsonContext.Default.DockerIdResponse, cancellationToken);
        return created?.Id is { Length: > 0 } id ? id : throw new DockerEngineException(response.StatusCode, "POST /containers/{id}/exec answered no Id.");
    }

    /// <summary>
    /// <c>POST /exec/{id}/start</c> with <c>Upgrade: tcp</c>: the connection taken over for the process's TTY.
    /// Writing sends keystrokes, reading gets the output; disposing the stream ends the connection (and so the session).
    /// </summary>
    public async Task<Stream> StartExecAsync(string execId, DockerExecStart start, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"exec/{Uri.EscapeDataString(execId)}/start")
        {
            Content = JsonContent.Create(start, DockerStreamJsonContext.Default.DockerExecStart),
        };
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("tcp"));
        var response = await SendRequestAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            response.Dispose();
            request.Dispose();
            throw new DockerEngineException(response.StatusCode, $"POST /exec/{execId}/start did not switch protocols (answered {(int)response.StatusCode}).");
        }

        // The content of a 101 answer is the raw connection, writable both ways.
        return new OwnedStream(await response.Content.ReadAsStreamAsync(cancellationToken), response, request);
    }

    /// <summary><c>POST /exec/{id}/resize?h=&amp;w=</c>.</summary>
    public async Task ResizeExecAsync(string execId, int rows, int columns, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, FormattableString.Invariant($"exec/{Uri.EscapeDataString(execId)}/resize?h={rows}&w={columns}"), cancellationToken);
    }

    private static async IAsyncEnumerable<JsonElement> ReadJsonLinesAsync(HttpResponseMessage response, string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement document;
            try
            {
                document = JsonSerializer.Deserialize(line, DockerStreamJsonContext.Default.JsonElement);
            }
            catch (JsonException ex)
            {
                throw new DockerEngineException(response.StatusCode, $"/{path} sent malformed JSON: {ex.Message}");
            }

            yield return document;
        }
    }

    private static async ValueTask<bool> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <summary>Splits log payloads into lines per stream and parses each line's leading timestamp.</summary>
    private sealed class LogLineSplitter
    {
        private readonly StringBuilder[] _pending = [new(), new(), new()];
        private readonly Decoder[] _decoders = [Encoding.UTF8.GetDecoder(), Encoding.UTF8.GetDecoder(), Encoding.UTF8.GetDecoder()];

        public List<DockerLogLine> Add(LogStream stream, ReadOnlySpan<byte> payload)
        {
            var chars = new char[Encoding.UTF8.GetMaxCharCount(payload.Length)];
            var count = _decoders[(int)stream].GetChars(payload, chars, flush: false);
            var pending = _pending[(int)stream];
            var lines = new List<DockerLogLine>();
            foreach (var c in chars.AsSpan(0, count))
            {
                if (c == '\n')
                {
                    lines.Add(Parse(stream, pending.ToString().TrimEnd('\r')));
                    pending.Clear();
                }
                else
                {
                    pending.Append(c);
                }
            }

            return lines;
        }

        public IEnumerable<DockerLogLine> Flush()
        {
            foreach (var stream in new[] { LogStream.Stdout, LogStream.Stderr })
            {
                if (_pending[(int)stream].Length > 0)
                {
                    yield return Parse(stream, _pending[(int)stream].ToString());
                }
            }
        }

        private static DockerLogLine Parse(LogStream stream, string line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && DateTimeOffset.TryParse(line.AsSpan(0, space), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            {
                return new DockerLogLine(stream, time, line[(space + 1)..]);
            }

            return new DockerLogLine(stream, DateTimeOffset.UtcNow, line);
        }
    }

    /// <summary>The raw connection of an upgraded answer; disposing it releases the answer and the request too.</summary>
    private sealed class OwnedStream(Stream inner, HttpResponseMessage response, HttpRequestMessage request) : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
                request.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
