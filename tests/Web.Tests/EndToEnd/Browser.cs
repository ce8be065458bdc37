using Microsoft.Playwright;

namespace ContainerConsole.Web.Tests.EndToEnd;

/// <summary>
/// Debian's chromium (never a downloaded browser) driven by Playwright's bundled driver, headless. Screenshots of
/// each page go to TestResults/screenshots under the test output directory.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>The browser tests' xUnit collection: one at a time, since each runs an agent, a server and chromium on a small machine.</summary>
    public const string Collection = "browser";

    private readonly IPlaywright _playwright;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Instance = browser;
    }

    public IBrowser Instance { get; }

    public static string ScreenshotDir { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public static async Task<Browser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox"],
            });
            return new Browser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await Instance.CloseAsync();
        await Instance.DisposeAsync();
        _playwright.Dispose();
    }
}
