using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Tests.Fakes;

/// <summary>Fixed processes, security and settings; records commits, refuses them with <see cref="Refuse"/> when set.</summary>
public sealed class FakeInspection : IContainerInspection
{
    public bool SeLinux { get; set; }

    public string? Refuse { get; set; }

    public List<(string Host, string Id, CommitImageRequest Request)> Commits { get; } = [];

    public Task<ProcessList> TopAsync(string host, string id, CancellationToken cancellationToken) =>
        Task.FromResult(new ProcessList(["PID", "USER", "CMD"], [["1", "root", "sleep 1000"], ["7", "root", "sh"]]));

    public Task<SecurityInfo> SecurityAsync(string host, string id, CancellationToken cancellationToken) =>
        Task.FromResult(new SecurityInfo([new("pid", "private"), new("net", "host")], ["NET_ADMIN"], [], false, "default profile", SeLinux,
            SeLinux ? "system_u:system_r:container_t:s0:c1,c2" : null, null, true, false, "", ["/proc/sys"], ["/proc/kcore"], []));

    public Task<RunRequest> RunSettingsAsync(string host, string id, CancellationToken cancellationToken) =>
        Task.FromResult(new RunRequest("busybox:latest", Name: "web", Cmd: ["sleep", "1000"], RestartPolicy: "always"));

    public Task<string> CommitAsync(string host, string id, CommitImageRequest request, CancellationToken cancellationToken)
    {
        if (Refuse is not null)
        {
            throw new ConsoleAccessDeniedException(Refuse);
        }

        Commits.Add((host, id, request));
        return Task.FromResult("sha256:0123456789abcdef0123456789");
    }
}
