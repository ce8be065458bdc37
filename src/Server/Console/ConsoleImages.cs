using System.Formats.Tar;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Containers;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Web.Services;
using static ContainerConsole.Server.WebConsole.ConsoleJson;

namespace ContainerConsole.Server.WebConsole;

/// <summary>
/// The images page's service: lists and details for any signed-in user; pull, push, load, build, tag, remove and prune
/// for operators, checked and audited (<c>image.*</c>, source ui) by <see cref="ConsoleOperations"/>. Long operations pass the
/// agent's progress messages on as they come, through the same client calls and stream reader as the REST API.
/// </summary>
public sealed class ConsoleImages(AgentRegistry agents, ConsoleOperations operations) : IImageService
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public async Task<ImageList> ListAsync(CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(agents.Hosts.Select(async host =>
        {
            try
            {
                var list = await host.Client.ListImagesAsync(all: false, cancellationToken);
                return (Images: Items(list).Select(i => new ImageSummary(
                    host.Name, Text(i, "Id") ?? "", Strings(Child(i, "RepoTags")).Where(t => t != "<none>:<none>").ToList(),
                    Number(i, "Created") ?? 0, Number(i, "Size") ?? 0)).ToList(), Error: (HostError?)null);
            }
            catch (Exception ex) when (ex is AgentUnreachableException or DockerEngineException)
            {
                return ([], new HostError(host.Name, ex.Message));
            }
        }));
        return new ImageList([.. results.SelectMany(r => r.Images)], [.. results.Where(r => r.Error is not null).Select(r => r.Error!)]);
    }

    public async Task<ImageDetails> GetAsync(string host, string reference, CancellationToken cancellationToken)
    {
        var agent = agents.Find(host) ?? throw new KeyNotFoundException($"No host is named '{host}'.");
        JsonElement inspect, history;
        try
        {
            inspect = await agent.Client.InspectImageAsync(reference, cancellationToken);
            history = await agent.Client.ImageHistoryAsync(reference, cancellationToken);
        }
        catch (DockerEngineException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new KeyNotFoundException($"No image '{reference}' on {host}: {ex.Message}");
        }
        catch (Exception ex) when (ex is DockerEngineException or AgentUnreachableException)
        {
            throw new ConsoleOperationException($"Could not inspect {reference} on {host}: {ex.Message}", ex);
        }

        var config = Child(inspect, "Config");
        var command = Strings(Child(config, "Entrypoint")).Concat(Strings(Child(config, "Cmd")));
        return new ImageDetails(
            host,
            Text(inspect, "Id") ?? "",
            Strings(Child(inspect, "RepoTags")),
            Time(inspect, "Created"),
            Number(inspect, "Size") ?? 0,
            Text(inspect, "Os"),
            Text(inspect, "Architecture"),
            string.Join(' ', command),
            Strings(Child(Child(inspect, "RootFS"), "Layers")),
            Items(history).Select(h => new ImageHistoryEntry(
                Text(h, "Id") is { } id && id != "<missing>" ? id : null,
                Number(h, "Created") is { } created ? DateTimeOffset.FromUnixTimeSeconds(created) : null,
                Text(h, "CreatedBy") ?? "",
                Number(h, "Size") ?? 0,
                Text(h, "Comment") is { Length: > 0 } comment ? comment : null)).ToList(),
            JsonSerializer.Serialize(inspect, Indented));
    }

    public IAsyncEnumerable<ImageProgress> PullAsync(string host, string reference, CancellationToken cancellationToken)
    {
        CheckReference(reference);
        return operations.StreamAsync(new ConsoleOperation("image.pull", host, reference, "pull images", $"pull {reference}"),
            (client, token) => Convert(client.PullImageAsync(reference, null, token), token), cancellationToken);
    }

    public IAsyncEnumerable<ImageProgress> PushAsync(string host, string reference, CancellationToken cancellationToken)
    {
        CheckReference(reference);
        var (name, tag) = SplitTag(reference);
        return operations.StreamAsync(new ConsoleOperation("image.push", host, reference, "push images", $"push {reference}"),
            (client, token) => ReadAsync(client.PushImageAsync(name, tag, token), token), cancellationToken);
    }

    public IAsyncEnumerable<ImageProgress> LoadAsync(string host, Stream archive, CancellationToken cancellationToken) =>
        operations.StreamAsync(new ConsoleOperation("image.load", host, "archive", "load images", "load the archive"),
            (client, token) => ReadAsync(client.LoadImageAsync(archive, token), token), cancellationToken);

    public IAsyncEnumerable<ImageProgress> BuildAsync(ImageBuildRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Dockerfile))
        {
            throw new ConsoleOperationException("The Dockerfile is empty.");
        }

        foreach (var tag in request.Tags)
        {
            CheckReference(tag);
        }

        var target = request.Tags.Count > 0 ? string.Join(",", request.Tags) : "untagged";
        return operations.StreamAsync(new ConsoleOperation("image.build", request.Host, target, "build images", $"build {target}"),
            (client, token) => BuildOnAsync(client, request, token), cancellationToken);
    }

    public Task TagAsync(string host, string reference, string repository, string tag, CancellationToken cancellationToken)
    {
        CheckReference($"{repository}:{tag}");
        return operations.RunAsync(new ConsoleOperation("image.tag", host, reference, "tag images", $"tag {reference} as {repository}:{tag}"), async client =>
        {
            await client.TagImageAsync(reference, repository, tag, cancellationToken);
            return true;
        });
    }

    public Task<IReadOnlyList<string>> RemoveAsync(string host, string reference, bool force, CancellationToken cancellationToken) =>
        operations.RunAsync(new ConsoleOperation("image.remove", host, reference, "remove images", $"remove {reference}"), async client =>
            (IReadOnlyList<string>)Changes(await client.RemoveImageAsync(reference, force, noPrune: false, cancellationToken) ?? default));

    public Task<PruneResult> PruneAsync(string host, bool all, CancellationToken cancellationToken) =>
        operations.RunAsync(new ConsoleOperation("image.prune", host, all ? "unused" : "dangling", "prune images", "prune images"), async client =>
        {
            var answer = await client.PruneImagesAsync(all, cancellationToken) ?? default;
            return new PruneResult(Changes(Child(answer, "ImagesDeleted")), Number(answer, "SpaceReclaimed") ?? 0);
        });

    /// <summary>The build context as a tar: the uploaded context without its Dockerfile, then the page's Dockerfile.</summary>
    private static async IAsyncEnumerable<ImageProgress> BuildOnAsync(DockerEngineClient client, ImageBuildRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var context = new FileStream(
            Path.Combine(Path.GetTempPath(), $"cc-build-{Guid.NewGuid():N}.tar"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
            81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await using (var writer = new TarWriter(context, TarEntryFormat.Pax, leaveOpen: true))
        {
            if (request.Context is { } upload)
            {
                try
                {
                    await using var reader = new TarReader(upload, leaveOpen: true);
                    while (await reader.GetNextEntryAsync(copyData: true, cancellationToken) is { } entry)
                    {
                        if (entry.Name.TrimStart('.', '/') != "Dockerfile")
                        {
                            await writer.WriteEntryAsync(entry, cancellationToken);
                        }
                    }
                }
                catch (Exception ex) when (ex is InvalidDataException or FormatException)
                {
                    throw new InvalidDataException($"the context is not a tar archive ({ex.Message})", ex);
                }
            }

            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "Dockerfile")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(request.Dockerfile)),
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            }, cancellationToken);
        }

        context.Position = 0;
        var query = new StringBuilder("?rm=1&dockerfile=Dockerfile");
        foreach (var tag in request.Tags)
        {
            query.Append("&t=").Append(Uri.EscapeDataString(tag));
        }

        if (request.BuildArgs.Count > 0)
        {
            var args = new JsonObject(request.BuildArgs.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)JsonValue.Create(a.Value))));
            query.Append("&buildargs=").Append(Uri.EscapeDataString(args.ToJsonString()));
        }

        if (request.NoCache)
        {
            query.Append("&nocache=1");
        }

        await foreach (var message in ReadAsync(client.BuildImageAsync(context, query.ToString(), cancellationToken), cancellationToken))
        {
            yield return message;
        }
    }

    /// <summary>
    /// An opened progress stream as messages, read by <see cref="DockerProgress"/> (as the REST API reads it), and at
    /// the end the image ids it announced (a build's result, a load's image).
    /// </summary>
    private static async IAsyncEnumerable<ImageProgress> ReadAsync(Task<HttpResponseMessage> opening, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await opening;
        var messages = Channel.CreateUnbounded<ImageProgress>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var reading = Task.Run(async () =>
        {
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                var summary = await DockerProgress.ReadAsync(stream, line =>
                {
                    messages.Writer.TryWrite(FromLine(line));
                    return Task.CompletedTask;
                }, cancellationToken);
                foreach (var id in summary.Ids)
                {
                    messages.Writer.TryWrite(new ImageProgress(ImageId: id));
                }
            }
            finally
            {
                messages.Writer.TryComplete();
            }
        }, CancellationToken.None);

        await foreach (var message in messages.Reader.ReadAllAsync(cancellationToken))
        {
            yield return message;
        }

        await reading; // its failure, if any
    }

    private static async IAsyncEnumerable<ImageProgress> Convert(IAsyncEnumerable<JsonElement> messages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var message in messages.WithCancellation(cancellationToken))
        {
            yield return FromMessage(message);
        }
    }

    private static ImageProgress FromLine(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return FromMessage(document.RootElement);
        }
        catch (JsonException)
        {
            return new ImageProgress(Output: line);
        }
    }

    /// <summary>A Docker JSON message: the progress hub's reading of a layer's status, plus a build's output line.</summary>
    private static ImageProgress FromMessage(JsonElement message)
    {
        var progress = ProgressHub.ToProgress(message);
        var output = Text(message, "stream")?.TrimEnd('\n', '\r');
        return new ImageProgress(progress.Id, progress.Status, progress.Current, progress.Total, output is { Length: > 0 } ? output : null, progress.Error);
    }

    /// <summary>The Untagged and Deleted entries of a remove or prune answer, as "untagged: x" / "deleted: y".</summary>
    private static List<string> Changes(JsonElement list) =>
        Items(list).SelectMany(e => new[] { ("untagged", Text(e, "Untagged")), ("deleted", Text(e, "Deleted")) })
            .Where(c => c.Item2 is not null).Select(c => $"{c.Item1}: {c.Item2}").ToList();

    private static void CheckReference(string reference)
    {
        if (!ContainerSpecs.IsImageReference(reference))
        {
            throw new ConsoleOperationException($"'{reference}' is not an image reference (e.g. busybox:latest or 127.0.0.1:5000/team/app:1.2).");
        }
    }

    /// <summary>Splits <c>registry:5000/app:1.2</c> into name and tag (a colon after the last slash); a digest stays in the name.</summary>
    private static (string Name, string? Tag) SplitTag(string reference)
    {
        if (reference.Contains('@', StringComparison.Ordinal))
        {
            return (reference, null);
        }

        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? (reference[..colon], reference[(colon + 1)..]) : (reference, null);
    }
}
