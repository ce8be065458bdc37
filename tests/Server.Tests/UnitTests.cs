using ContainerConsole.Server.Agents;
using ContainerConsole.Server.Auth;
using ContainerConsole.Server.Hosting;
using ContainerConsole.Server.Users;
using ContainerConsole.Web.Components.Pages;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Agent_and_data_dir_flags_become_configuration_keys()
    {
        var result = CommandLine.Normalize(["--agent", "unix:///a.sock", "--urls", "http://127.0.0.1:1", "--agent=b=tcp://h:2375", "--data-dir", "/d"]);

        Assert.Equal(
            ["--ContainerConsole:Agents:0=unix:///a.sock", "--urls", "http://127.0.0.1:1", "--ContainerConsole:Agents:1=b=tcp://h:2375", "--ContainerConsole:DataDir=/d"],
            result);
    }

    [Fact]
    public void A_flag_without_its_value_is_an_error()
    {
        Assert.Throws<ArgumentException>(() => CommandLine.Normalize(["--agent"]));
        Assert.Throws<ArgumentException>(() => CommandLine.Normalize(["--data-dir", "--agent", "x"]));
    }

    [Fact]
    public void Defaults_fill_in_what_is_not_configured()
    {
        var options = new ServerOptions();
        new ServerOptionsSetup().PostConfigure(null, options);

        Assert.Equal([ServerOptions.DefaultAgent], options.Agents);
        Assert.Equal(ServerOptions.DefaultDataDir(), options.DataDir);
        Assert.EndsWith("containerconsole" + (Environment.IsPrivilegedProcess ? "-server" : ""), options.DataDir, StringComparison.Ordinal);
    }
}

public sealed class AgentEndpointTests
{
    [Theory]
    [InlineData("unix:///run/containerconsole/agent.sock", "unix:///run/containerconsole/agent.sock", AgentTransport.UnixSocket, "/run/containerconsole/agent.sock")]
    [InlineData("local=unix:///tmp/a.sock", "local", AgentTransport.UnixSocket, "/tmp/a.sock")]
    [InlineData("tcp://10.1.2.3:2375", "http://10.1.2.3:2375", AgentTransport.Http, "http://10.1.2.3:2375")]
    [InlineData("edge=https://edge.example:2376", "edge", AgentTransport.Https, "https://edge.example:2376")]
    public void Parses_agent_addresses(string spec, string name, AgentTransport transport, string address)
    {
        var endpoint = AgentEndpoint.Parse(spec);

        Assert.Equal(name, endpoint.Name);
        Assert.Equal(transport, endpoint.Transport);
        Assert.Equal(address, endpoint.Address);
    }

    [Theory]
    [InlineData("/run/agent.sock")]
    [InlineData("unix://relative.sock")]
    [InlineData("tcp://host-without-port")]
    [InlineData("ftp://host:21")]
    public void Rejects_bad_addresses(string spec)
    {
        Assert.False(AgentEndpoint.TryParse(spec, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}

public sealed class PasswordHasherTests
{
    private readonly PasswordHasher _hasher = new(PasswordHasher.MinimumIterations);

    [Fact]
    public void Verifies_the_right_password_only()
    {
        var hash = _hasher.Hash("s3cret");

        Assert.True(_hasher.Verify("s3cret", hash));
        Assert.False(_hasher.Verify("S3cret", hash));
        Assert.False(_hasher.Verify("s3cret", "garbage"));
    }

    [Fact]
    public void Salts_every_hash()
    {
        Assert.NotEqual(_hasher.Hash("same"), _hasher.Hash("same"));
    }

    [Fact]
    public void Refuses_weak_iteration_counts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PasswordHasher(1000));
        var weak = "pbkdf2-sha256$1000$" + Convert.ToBase64String(new byte[16]) + "$" + Convert.ToBase64String(new byte[32]);
        Assert.False(_hasher.Verify("x", weak));
    }

    [Fact]
    public void Asks_for_a_rehash_when_the_count_went_up()
    {
        var hash = _hasher.Hash("pw");

        Assert.False(_hasher.NeedsRehash(hash));
        Assert.True(new PasswordHasher(PasswordHasher.MinimumIterations + 1).NeedsRehash(hash));
    }
}

public sealed class ReturnUrlTests
{
    [Theory]
    [InlineData(null, "dashboard")]
    [InlineData("", "dashboard")]
    [InlineData("/containers", "containers")]
    [InlineData("/containers?x=1", "containers?x=1")]
    [InlineData("https://evil.example/", "dashboard")]
    [InlineData("//evil.example/", "dashboard")]
    [InlineData("/\\evil.example/", "dashboard")]
    [InlineData("/login", "dashboard")]
    public void Only_local_paths_are_redirect_targets(string? returnUrl, string expected)
    {
        Assert.Equal(expected, Login.SafeReturnUrl(returnUrl));
    }
}
