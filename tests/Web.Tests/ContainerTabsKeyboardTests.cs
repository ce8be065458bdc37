using Bunit;
using ContainerConsole.Web.Components.Pages;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace ContainerConsole.Web.Tests;

/// <summary>The detail page's tabs follow the WAI-ARIA tabs pattern: one tab in the tab order, arrow keys, Home and End.</summary>
public sealed class ContainerTabsKeyboardTests : BunitContext
{
    public ContainerTabsKeyboardTests()
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IContainerActions>(new FakeContainerActions());
        Services.AddSingleton<IConsoleAccess>(new FakeAccess(FakeAccess.Operator));
        Services.AddSingleton<IContainerDetailsService>(new FakeDetails());
        Services.AddSingleton<ILogFeed>(new FakeLogFeed([]));
        Services.AddSingleton<IContainerFeed>(new FakeContainerFeed([]));
        Services.AddSingleton<IContainerInspection>(new FakeInspection());
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void Arrow_keys_home_and_end_select_and_focus_the_tabs()
    {
        var page = Render<ContainerDetail>(p => p.Add(x => x.Host, "h1").Add(x => x.Id, "abc"));
        page.WaitForElement("dl.overview");
        var tabs = page.FindAll("[role=tablist] [role=tab]").Select(t => t.Id!).ToList();
        Assert.Equal("tab-overview", tabs[0]);
        AssertSelected(page, "tab-overview");

        page.Find("#tab-overview").KeyDown("ArrowRight");
        AssertSelected(page, tabs[1]);
        JSInterop.VerifyFocusAsyncInvoke(1);

        page.Find($"#{tabs[1]}").KeyDown("ArrowLeft");
        page.Find("#tab-overview").KeyDown("ArrowLeft");
        AssertSelected(page, tabs[^1]);
        JSInterop.VerifyFocusAsyncInvoke(3);

        page.Find($"#{tabs[^1]}").KeyDown("ArrowRight");
        AssertSelected(page, "tab-overview");

        page.Find("#tab-overview").KeyDown("End");
        AssertSelected(page, tabs[^1]);
        page.Find($"#{tabs[^1]}").KeyDown("Home");
        AssertSelected(page, "tab-overview");

        // Other keys leave the selection and the focus alone.
        page.Find("#tab-overview").KeyDown("a");
        AssertSelected(page, "tab-overview");
        JSInterop.VerifyFocusAsyncInvoke(6);
        page.Find("[role=tabpanel] dl.overview");
        Assert.Equal("tab-overview", page.Find("[role=tabpanel]").GetAttribute("aria-labelledby"));
    }

    private static void AssertSelected(IRenderedComponent<ContainerDetail> page, string id)
    {
        foreach (var tab in page.FindAll("[role=tab]"))
        {
            var selected = tab.Id == id;
            Assert.Equal(selected ? "true" : "false", tab.GetAttribute("aria-selected"));
            Assert.Equal(selected ? "0" : "-1", tab.GetAttribute("tabindex"));
        }

        Assert.Equal(id, page.Find("[role=tabpanel]").GetAttribute("aria-labelledby"));
    }
}
