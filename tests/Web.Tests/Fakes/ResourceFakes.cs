using System.Runtime.CompilerServices;
using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Tests.Fakes;

public sealed class FakeContainers(params ContainerSummary[] containers) : IContainersService
{
    public Task<ContainerList> GetContainersAsync(string? host, CancellationToken cancellationToken) =>
        Task.FromResult(new ContainerList(containers.Where(c => host is null || c.Host == host).ToList(), []));
}

/// <summary>Images the test gives; records changes; <see cref="Refuse"/> makes every change fail with that reason.</summary>
public sealed class FakeImages(params ImageSummary[] images) : IImageService
{
    public List<string> Calls { get; } = [];

    public string? Refuse { get; set; }

    /// <summary>What a pull sends.</summary>
    public List<ImageProgress> PullMessages { get; } = [];

    public Task<ImageList> ListAsync(CancellationToken cancellationToken) => Task.FromResult(new ImageList(images, []));

    public Task<ImageDetails> GetAsync(string host, string reference, CancellationToken cancellationToken) =>
        Task.FromResult(new ImageDetails(host, reference, ["busybox:latest"], DateTimeOffset.UnixEpoch, 2_000_000, "linux", "amd64", "sh",
            ["sha256:aaa"], [new ImageHistoryEntry(null, DateTimeOffset.UnixEpoch, "COPY busybox /bin", 2_000_000, null)], "{}"));

    public async IAsyncEnumerable<ImageProgress> PullAsync(string host, string reference, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Change($"pull {host} {reference}");
        foreach (var message in PullMessages)
        {
            await Task.Yield();
            yield return message;
        }
    }

    public IAsyncEnumerable<ImageProgress> PushAsync(string host, string reference, CancellationToken cancellationToken) => Nothing($"push {host} {reference}");

    public IAsyncEnumerable<ImageProgress> LoadAsync(string host, Stream archive, CancellationToken cancellationToken) => Nothing($"load {host}");

    public IAsyncEnumerable<ImageProgress> BuildAsync(ImageBuildRequest request, CancellationToken cancellationToken) =>
        Nothing($"build {request.Host} {string.Join(",", request.Tags)} {string.Join(",", request.BuildArgs.Select(a => a.Key + "=" + a.Value))}");

    public Task TagAsync(string host, string reference, string repository, string tag, CancellationToken cancellationToken)
    {
        Change($"tag {host} {reference} {repository}:{tag}");
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> RemoveAsync(string host, string reference, bool force, CancellationToken cancellationToken)
    {
        Change($"remove {host} {reference} force={force}");
        return Task.FromResult<IReadOnlyList<string>>([$"untagged: {reference}"]);
    }

    public Task<PruneResult> PruneAsync(string host, bool all, CancellationToken cancellationToken)
    {
        Change($"prune {host} all={all}");
        return Task.FromResult(new PruneResult(["deleted: sha256:1", "deleted: sha256:2"], 3_500_000));
    }

    private async IAsyncEnumerable<ImageProgress> Nothing(string call)
    {
        Change(call);
        await Task.Yield();
        yield break;
    }

    private void Change(string call)
    {
        if (Refuse is not null)
        {
            throw new ConsoleOperationException(Refuse);
        }

        Calls.Add(call);
    }
}

public sealed class FakeVolumes(params VolumeSummary[] volumes) : IVolumeService
{
    public List<string> Calls { get; } = [];

    public Task<VolumeList> ListAsync(CancellationToken cancellationToken) => Task.FromResult(new VolumeList(volumes, []));

    public Task CreateAsync(VolumeCreateRequest request, CancellationToken cancellationToken)
    {
        Calls.Add($"create {request.Host} {request.Name} {request.Driver} {string.Join(",", request.Labels.Select(l => l.Key + "=" + l.Value))}");
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string host, string name, bool force, CancellationToken cancellationToken)
    {
        Calls.Add($"remove {host} {name} force={force}");
        return Task.CompletedTask;
    }

    public Task<PruneResult> PruneAsync(string host, bool all, CancellationToken cancellationToken)
    {
        Calls.Add($"prune {host} all={all}");
        return Task.FromResult(new PruneResult(["v1"], 1000));
    }
}

public sealed class FakeNetworks(params NetworkSummary[] networks) : INetworkService
{
    public List<string> Calls { get; } = [];

    public Task<NetworkList> ListAsync(CancellationToken cancellationToken) => Task.FromResult(new NetworkList(networks, []));

    public Task<string> CreateAsync(NetworkCreateRequest request, CancellationToken cancellationToken)
    {
        Calls.Add($"create {request.Host} {request.Name} {request.Subnet} {request.Gateway} internal={request.Internal}");
        return Task.FromResult("n1");
    }

    public Task RemoveAsync(string host, string network, CancellationToken cancellationToken)
    {
        Calls.Add($"remove {host} {network}");
        return Task.CompletedTask;
    }

    public Task ConnectAsync(string host, string network, string container, bool connect, CancellationToken cancellationToken)
    {
        Calls.Add($"{(connect ? "connect" : "disconnect")} {host} {network} {container}");
        return Task.CompletedTask;
    }

    public Task<PruneResult> PruneAsync(string host, CancellationToken cancellationToken)
    {
        Calls.Add($"prune {host}");
        return Task.FromResult(new PruneResult([], 0));
    }
}
