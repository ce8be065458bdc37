using System.Net;
using System.Text.RegularExpressions;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

public sealed class ApiReferenceTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task The_api_reference_page_and_its_script_are_served_by_the_server_itself()
    {
        await using var server = new ServerFactory(_temp.Combine("data"), []);
        using var client = server.CreateApiClient();

        var page = await client.GetStringAsync("/api/reference/"); // Scalar redirects /api/reference here
        Assert.Contains("ContainerConsole API", page, StringComparison.Ordinal);
        Assert.Contains("\"url\":\"openapi/v1.json\"", page, StringComparison.Ordinal); // resolved against the app's base path

        // no CDN: every script the page loads comes from this server (a browser here reaches nothing else)
        var scripts = Regex.Matches(page, "<script[^>]*src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(scripts);
        foreach (var src in scripts)
        {
            Assert.DoesNotContain("://", src, StringComparison.Ordinal);
            using var script = await client.GetAsync(new Uri(new Uri(client.BaseAddress!, "/api/reference/"), src));
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        }

        using var document = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
    }
}
