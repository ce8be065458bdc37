using ContainerConsole.Images.Build;

namespace ContainerConsole.Images.Tests.Build;

public sealed class ChownSpecTests
{
    private const string Passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
    private const string Group = "root:x:0:\nstaff:x:50:\n";

    [Fact]
    public void NamesAndNumbers()
    {
        Assert.Equal((1000, 50), ChownSpec.Resolve("app:staff", Passwd, Group));
        Assert.Equal((1000, 1000), ChownSpec.Resolve("app", Passwd, Group)); // same number as the group
        Assert.Equal((42, 43), ChownSpec.Resolve("42:43", null, null));
        Assert.Contains("unable to find user nobody", Assert.Throws<BuildException>(() => ChownSpec.Resolve("nobody", Passwd, Group)).Message);
        Assert.Contains("unable to find group wheel", Assert.Throws<BuildException>(() => ChownSpec.Resolve("app:wheel", Passwd, Group)).Message);
        Assert.Contains("no /etc/passwd", Assert.Throws<BuildException>(() => ChownSpec.Resolve("app", null, null)).Message);
        Assert.Contains("invalid --chown", Assert.Throws<BuildException>(() => ChownSpec.Resolve("app:", Passwd, Group)).Message);
    }
}
