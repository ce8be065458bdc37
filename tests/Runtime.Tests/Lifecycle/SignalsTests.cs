using ContainerConsole.Runtime.Lifecycle;

namespace ContainerConsole.Runtime.Tests.Lifecycle;

public class SignalsTests
{
    [Theory]
    [InlineData("TERM", 15)]
    [InlineData("SIGTERM", 15)]
    [InlineData("15", 15)]
    [InlineData("sigkill", 9)]
    [InlineData("SigKill", 9)]
    [InlineData("kill", 9)]
    [InlineData("9", 9)]
    [InlineData("HUP", 1)]
    [InlineData("SIGINT", 2)]
    [InlineData("USR1", 10)]
    [InlineData("SIGUSR2", 12)]
    [InlineData("STOP", 19)]
    [InlineData("CONT", 18)]
    [InlineData("WINCH", 28)]
    [InlineData("IOT", 6)]
    [InlineData("SYS", 31)]
    [InlineData("RTMIN", 34)]
    [InlineData("SIGRTMIN", 34)]
    [InlineData("RTMIN+3", 37)]
    [InlineData("sigrtmin+3", 37)]
    [InlineData("RTMIN+30", 64)]
    [InlineData("1", 1)]
    [InlineData("64", 64)]
    public void ParsesNamesAndNumbers(string value, int expected) => Assert.Equal(expected, Signals.Parse(value));

    [Theory]
    [InlineData("")]
    [InlineData("SIG")]
    [InlineData("FOO")]
    [InlineData("SIGFOO")]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("-9")]
    [InlineData("+9")]
    [InlineData(" 9")]
    [InlineData("9x")]
    [InlineData("99999999999")]
    [InlineData("RTMIN+31")]
    [InlineData("RTMIN+-1")]
    [InlineData("RTMIN+")]
    [InlineData("RTMINX")]
    [InlineData("RTMIN+abc")]
    [InlineData("RTMIN-3")]
    [InlineData("RTMIN3")]
    public void RejectsInvalidSignals(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => Signals.Parse(value));
        Assert.Contains($"invalid signal \"{value}\"", e.Message);
    }
}
