using ContainerConsole.Runtime.Lifecycle;

namespace ContainerConsole.Runtime.Tests.Lifecycle;

public class ContainerStatusGuardsTests
{
    public enum Guard
    {
        Start,
        Kill,
        Pause,
        Resume,
        Exec,
        Update,
        Delete,
        ForceDelete,
    }

    private const bool Y = true, N = false;

    // Rows: status; columns: Start Kill Pause Resume Exec Update Delete ForceDelete.
    private static readonly (ContainerStatus Status, bool[] Allowed)[] Table =
    [
        (ContainerStatus.Creating, [N, N, N, N, N, N, N, Y]),
        (ContainerStatus.Created, [Y, Y, N, N, N, Y, Y, Y]),
        (ContainerStatus.Running, [N, Y, Y, N, Y, Y, N, Y]),
        (ContainerStatus.Paused, [N, Y, N, Y, N, Y, N, Y]),
        (ContainerStatus.Stopped, [N, N, N, N, N, N, Y, Y]),
    ];

    public static TheoryData<ContainerStatus, Guard, bool> Matrix()
    {
        var data = new TheoryData<ContainerStatus, Guard, bool>();
        foreach (var (status, allowed) in Table)
            foreach (var guard in Enum.GetValues<Guard>())
                data.Add(status, guard, allowed[(int)guard]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void GuardAllowsExactlyTheTable(ContainerStatus status, Guard guard, bool expected)
    {
        var actual = guard switch
        {
            Guard.Start => status.CanStart(),
            Guard.Kill => status.CanKill(),
            Guard.Pause => status.CanPause(),
            Guard.Resume => status.CanResume(),
            Guard.Exec => status.CanExec(),
            Guard.Update => status.CanUpdate(),
            Guard.Delete => status.CanDelete(force: false),
            Guard.ForceDelete => status.CanDelete(force: true),
            _ => throw new ArgumentOutOfRangeException(nameof(guard)),
        };
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void TableCoversEveryStatusAndGuard()
    {
        Assert.Equal(Enum.GetValues<ContainerStatus>().Order(), Table.Select(r => r.Status).Order());
        Assert.All(Table, r => Assert.Equal(Enum.GetValues<Guard>().Length, r.Allowed.Length));
        Assert.Equal(Enum.GetValues<ContainerStatus>().Length * Enum.GetValues<Guard>().Length, Matrix().Count());
    }

    [Theory]
    [InlineData(ContainerStatus.Creating, "creating")]
    [InlineData(ContainerStatus.Created, "created")]
    [InlineData(ContainerStatus.Running, "running")]
    [InlineData(ContainerStatus.Paused, "paused")]
    [InlineData(ContainerStatus.Stopped, "stopped")]
    public void SpecStringIsTheRuntimeSpecWord(ContainerStatus status, string expected) =>
        Assert.Equal(expected, status.ToSpecString());

    [Fact]
    public void RefuseNamesOperationIdAndStatus()
    {
        var e = ContainerStatusGuards.Refuse("start", "web1", ContainerStatus.Running);
        Assert.Equal("cannot start container web1: it is running", e.Message);
    }
}
