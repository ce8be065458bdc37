using ContainerConsole.Images.Registry;

namespace ContainerConsole.Images.Tests.Registry;

public sealed class AuthChallengeTests
{
    [Fact]
    public void ParsesBearerChallengeWithQuotedParameters()
    {
        var c = Assert.Single(AuthChallenge.Parse(
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\""));
        Assert.True(c.IsBearer);
        Assert.Equal("https://auth.docker.io/token", c["realm"]);
        Assert.Equal("registry.docker.io", c["service"]);
        Assert.Equal("repository:library/busybox:pull", c["scope"]);
    }

    [Fact]
    public void ParsesSeveralChallengesTokensAndEscapes()
    {
        var all = AuthChallenge.Parse("Basic realm=\"a \\\"quoted\\\" realm\", Bearer realm=https://t.example/token, service=svc , error=\"invalid_token\"");
        Assert.Equal(2, all.Count);
        Assert.True(all[0].IsBasic);
        Assert.Equal("a \"quoted\" realm", all[0]["realm"]);
        Assert.True(all[1].IsBearer);
        Assert.Equal("https://t.example/token", all[1]["realm"]);
        Assert.Equal("svc", all[1]["service"]);
        Assert.Equal("invalid_token", all[1]["error"]);
    }

    [Fact]
    public void SchemeAndParameterNamesAreCaseInsensitive()
    {
        var c = Assert.Single(AuthChallenge.Parse("bearer Realm=\"r\""));
        Assert.True(c.IsBearer);
        Assert.Equal("r", c["realm"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ,  ")]
    public void EmptyHeaderHasNoChallenges(string? header) => Assert.Empty(AuthChallenge.Parse(header));

    [Fact]
    public void RegistryAuthHeaderIsBase64UrlJson()
    {
        var json = """{"username":"bob","password":"p+w/d?","serveraddress":"https://index.docker.io/v1/"}""";
        var header = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var creds = RegistryCredentials.FromHeader(header)!;
        Assert.Equal("bob", creds.Username);
        Assert.Equal("p+w/d?", creds.Password);
        Assert.Equal("docker.io", RegistryCredentials.NormalizeServer(creds.ServerAddress));
        Assert.Null(RegistryCredentials.FromHeader("e30=")); // {} from an anonymous CLI pull
        Assert.Throws<ArgumentException>(() => RegistryCredentials.FromHeader("not base64!"));
    }

    [Fact]
    public void CredentialStoreIsPrivateAndKeyedByHost()
    {
        using var dir = new TestSupport.TempDir();
        var file = Path.Combine(dir.Path, "auth.json");
        var store = new CredentialStore(file);
        store.Save("https://127.0.0.1:5000/v2/", new RegistryCredentials { Username = "u", Password = "p" });
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal("u", new CredentialStore(file).Get("127.0.0.1:5000")!.Username);
        Assert.True(store.Remove("127.0.0.1:5000"));
        Assert.Null(store.Get("127.0.0.1:5000"));
        Assert.False(store.Remove("127.0.0.1:5000"));
    }
}
