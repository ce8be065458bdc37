using ContainerConsole.Runtime.State;

namespace ContainerConsole.Runtime.Tests.State;

public class ProcessIdentityTests
{
    // A /proc/PID/stat line: fields 3..52 after "pid (comm) ", with field 22 (starttime) set.
    private static string StatLine(int pid, string comm, char state, ulong startTime)
    {
        var fields = new List<string> { state.ToString() };
        for (var field = 4; field <= 52; field++)
            fields.Add(field == 22 ? startTime.ToString() : (field * 11).ToString());
        return $"{pid} ({comm}) {string.Join(' ', fields)}\n";
    }

    [Theory]
    [InlineData("sh")]
    [InlineData("my prog")]
    [InlineData("a) b (c")]
    [InlineData(") S 1 2 3 4")]
    [InlineData("((()))")]
    public void ParsesStartTimeAndStateWhateverTheCommandName(string comm)
    {
        var stat = StatLine(4242, comm, 'S', 1234567890123);
        Assert.Equal(1234567890123UL, ProcessIdentity.ParseStartTime(stat));
        Assert.Equal('S', ProcessIdentity.ParseState(stat));
    }

    [Fact]
    public void ParsesZombieState()
    {
        var stat = StatLine(7, "defunct) R (x", 'Z', 99);
        Assert.Equal('Z', ProcessIdentity.ParseState(stat));
        Assert.Equal(99UL, ProcessIdentity.ParseStartTime(stat));
    }

    [Fact]
    public void ParsesARealStatLine()
    {
        var stat = File.ReadAllText($"/proc/{Environment.ProcessId}/stat");
        var expected = ulong.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]);
        Assert.Equal(expected, ProcessIdentity.ParseStartTime(stat));
        Assert.True(expected > 0);
    }

    [Fact]
    public void CurrentProcessIsAlive()
    {
        var me = ProcessIdentity.Of(Environment.ProcessId);
        Assert.NotNull(me);
        Assert.Equal(Environment.ProcessId, me.Value.Pid);
        Assert.Equal(ProcessIdentity.ReadStartTime(Environment.ProcessId), me.Value.StartTime);
        Assert.True(me.Value.IsAlive);
    }

    [Fact]
    public void WrongStartTimeIsAnotherProcess()
    {
        var me = ProcessIdentity.Of(Environment.ProcessId)!.Value;
        Assert.False((me with { StartTime = me.StartTime + 1 }).IsAlive);
        Assert.False((me with { StartTime = 0 }).IsAlive);
    }

    [Fact]
    public void MissingProcessHasNoIdentity()
    {
        // pid_max is at most 2^22, so this pid cannot exist.
        const int pid = int.MaxValue;
        Assert.Null(ProcessIdentity.Of(pid));
        Assert.Null(ProcessIdentity.ReadStartTime(pid));
        Assert.False(new ProcessIdentity(pid, 1).IsAlive);
    }
}
