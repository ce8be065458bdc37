using ContainerConsole.Images.Registry;

namespace ContainerConsole.Images.Tests.Registry;

public sealed class RegistryEndpointsTests
{
    private static async Task<string> Endpoints(string domain, params string[] insecure)
    {
        var list = await new RegistryEndpoints(new RegistryOptions { InsecureRegistries = insecure }).ResolveAsync(domain, CancellationToken.None);
        return string.Join(" ", list.Select(e => $"{e.BaseUri}{(e.VerifyTls || e.IsPlainHttp ? "" : "(noverify)")}"));
    }

    [Fact]
    public async Task DockerHubIsReachedOverVerifiedHttpsAtItsApiHost() =>
        Assert.Equal("https://registry-1.docker.io/", await Endpoints("docker.io"));

    [Fact]
    public async Task OtherRegistriesAreHttpsOnly() =>
        Assert.Equal("https://192.0.2.10:5000/", await Endpoints("192.0.2.10:5000"));

    [Theory]
    [InlineData("127.0.0.1:5000")]
    [InlineData("127.3.4.5")]
    [InlineData("localhost:5000")]
    [InlineData("[::1]:5000")]
    public async Task LoopbackIsInsecureByDefaultAsInDockerd(string domain) =>
        Assert.Equal($"https://{domain}/(noverify) http://{domain}/", await Endpoints(domain));

    [Fact]
    public async Task InsecureRegistryFlagTakesHostPortOrCidr()
    {
        Assert.Equal("https://192.0.2.10:5000/(noverify) http://192.0.2.10:5000/", await Endpoints("192.0.2.10:5000", "192.0.2.10:5000"));
        Assert.Equal("https://192.0.2.10:5000/(noverify) http://192.0.2.10:5000/", await Endpoints("192.0.2.10:5000", "192.0.2.0/24"));
        Assert.Equal("https://192.0.2.10:5001/", await Endpoints("192.0.2.10:5001", "192.0.2.10:5000"));
    }
}
