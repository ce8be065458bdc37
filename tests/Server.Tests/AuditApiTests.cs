using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ContainerConsole.Server.Tests.Infrastructure;

namespace ContainerConsole.Server.Tests;

public sealed class AuditApiTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ServerFactory CreateServer() => new(_temp.Combine("data"), [$"unix://{_temp.Combine("missing.sock")}"]);

    /// <summary>Three user creations by admin, a refused one by a viewer, a failed login.</summary>
    private static async Task<HttpClient> MakeHistoryAsync(ServerFactory server)
    {
        var admin = await server.SignedInClientAsync();
        await ServerFactory.CreateUserAsync(admin, "u1", "viewer");
        await ServerFactory.CreateUserAsync(admin, "u2", "viewer");
        await ServerFactory.CreateUserAsync(admin, "u3", "viewer");
        using var viewer = await server.SignedInClientAsync("u1", ServerFactory.UserPassword);
        using (var refused = await viewer.PostAsJsonAsync("/api/v1/users", new { username = "u4", password = "password-1234", role = "admin" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using var anonymous = server.CreateApiClient();
        using (var failed = await ServerFactory.PostLoginAsync(anonymous, "u2", "wrong password"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        return admin;
    }

    [Fact]
    public async Task Filters_and_pages_newest_first()
    {
        await using var server = CreateServer();
        using var admin = await MakeHistoryAsync(server);

        var creations = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?user=ADMIN&action=POST%20/api/v1/users&pageSize=2");
        Assert.Equal(3, creations.GetProperty("total").GetInt32());
        var first = creations.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, first.Count);
        var second = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?user=admin&action=POST%20/api/v1/users&pageSize=2&page=2"))
            .GetProperty("items").EnumerateArray().ToList();
        var ids = first.Concat(second).Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.All(first.Concat(second), e =>
        {
            Assert.Equal("success", e.GetProperty("result").GetString());
            Assert.Equal(201, e.GetProperty("statusCode").GetInt32());
            Assert.Equal("api", e.GetProperty("source").GetString());
            Assert.True(e.GetProperty("durationMs").GetDouble() >= 0);
        });

        var denied = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?result=denied")).GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(denied, e => e.GetProperty("user").GetString() == "u1" && e.GetProperty("statusCode").GetInt32() == 403);
        Assert.Contains(denied, e => e.GetProperty("user").GetString() == "u2"
            && e.GetProperty("action").GetString() == "POST /api/v1/auth/login"
            && e.GetProperty("authMethod").GetString() == "none");

        var future = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}");
        Assert.Equal(0, future.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Bad_filters_are_named()
    {
        await using var server = CreateServer();
        using var admin = await server.SignedInClientAsync();

        using var badResult = await admin.GetAsync("/api/v1/audit?result=maybe&pageSize=0");
        var problem = await AuthApiTests.AssertProblemAsync(badResult, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("result", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("pageSize", out _));

        using var badTime = await admin.GetAsync("/api/v1/audit?from=yesterday-ish");
        var timeProblem = await AuthApiTests.AssertProblemAsync(badTime, HttpStatusCode.BadRequest);
        Assert.Contains("from", timeProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exports_as_csv_and_json()
    {
        await using var server = CreateServer();
        using var admin = await MakeHistoryAsync(server);

        using var csv = await admin.GetAsync("/api/v1/audit/export?format=csv&action=POST%20/api/v1/users");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", csv.Content.Headers.ContentDisposition?.DispositionType ?? "", StringComparison.Ordinal);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal("id,time,source,user,authMethod,remoteAddress,action,path,target,host,statusCode,result,durationMs,details", lines[0]);
        Assert.Equal(4, lines.Length - 1); // three creations and the refused one
        Assert.Contains(lines, l => l.Contains(",u1,token,", StringComparison.Ordinal) && l.Contains(",403,denied,", StringComparison.Ordinal));

        var json = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit/export?format=json&result=denied");
        Assert.Equal(JsonValueKind.Array, json.ValueKind);
        Assert.Equal(2, json.GetArrayLength());
        Assert.All(json.EnumerateArray(), e => Assert.Equal("denied", e.GetProperty("result").GetString()));

        using var unknown = await admin.GetAsync("/api/v1/audit/export?format=xml");
        await AuthApiTests.AssertProblemAsync(unknown, HttpStatusCode.BadRequest);
    }
}
