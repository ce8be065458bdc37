using Bunit;
using ContainerConsole.Web.Components.Pages;
using ContainerConsole.Web.Components.Shared;
using ContainerConsole.Web.Services;
using ContainerConsole.Web.Tests.Fakes;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using ContainersPage = ContainerConsole.Web.Components.Pages.Containers;

namespace ContainerConsole.Web.Tests;

/// <summary>The shared confirmation dialog: focus on confirm, Escape and Cancel dismiss, only confirm acts; and the pages using it.</summary>
public sealed class ConfirmDialogTests : BunitContext
{
    private readonly FakeContainerActions _actions = new();

    public ConfirmDialogTests()
    {
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<IContainerActions>(_actions);
        Services.AddSingleton<IConsoleAccess>(new FakeAccess(FakeAccess.Operator));
        Services.AddSingleton<IContainerDetailsService>(new FakeDetails());
        Services.AddSingleton<ILogFeed>(new FakeLogFeed([]));
        Services.AddSingleton<IContainerFeed>(new FakeContainerFeed([TestContainers.Make("web"), TestContainers.Make("db")]));
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void Focus_starts_on_confirm_escape_and_cancel_dismiss_and_only_confirm_acts()
    {
        var confirmed = 0;
        var cancelled = 0;
        var dialog = Render<ConfirmDialog>(p => p
            .Add(x => x.Title, "Remove image")
            .Add(x => x.ConfirmLabel, "Confirm removing busybox")
            .Add(x => x.OnConfirm, () => confirmed++)
            .Add(x => x.OnCancel, () => cancelled++)
            .AddChildContent("Remove busybox:latest?"));

        var element = dialog.Find("dialog[open][role=alertdialog][aria-modal=true]");
        Assert.Equal("Remove image", dialog.Find($"#{element.GetAttribute("aria-labelledby")}").TextContent);
        Assert.Equal("Remove busybox:latest?", dialog.Find($"#{element.GetAttribute("aria-describedby")}").TextContent);
        var reference = (ElementReference)JSInterop.VerifyFocusAsyncInvoke().Arguments[0]!;
        var focused = dialog.FindAll("button").SingleOrDefault(b => b.GetAttribute("blazor:elementReference") == reference.Id);
        Assert.True(focused is not null, dialog.Markup);
        Assert.Equal("Confirm removing busybox", focused.GetAttribute("aria-label"));

        element.KeyDown("Enter");
        element.KeyDown("Escape");
        Assert.Equal((0, 1), (confirmed, cancelled));
        dialog.FindAll("button").Single(b => b.TextContent == "Cancel").Click();
        dialog.Find(".confirm-backdrop").Click();
        Assert.Equal((0, 3), (confirmed, cancelled));

        dialog.Find("button[aria-label='Confirm removing busybox']").Click();
        Assert.Equal((1, 3), (confirmed, cancelled));
    }

    [Fact]
    public void The_containers_page_removes_the_selection_only_once_confirmed()
    {
        var page = Render<ContainersPage>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody td.name").Count));
        page.Find("input[aria-label='Select all shown containers']").Change(true);

        page.FindAll("button").Single(b => b.TextContent == "Remove…").Click();
        page.Find("dialog.confirm-dialog").KeyDown("Escape");
        Assert.Empty(page.FindAll("dialog.confirm-dialog"));
        Assert.Empty(_actions.Calls);

        page.FindAll("button").Single(b => b.TextContent == "Remove…").Click();
        Assert.Contains("Remove 2 container(s)", page.Find("dialog.confirm-dialog").TextContent, StringComparison.Ordinal);
        page.Find("button[aria-label='Confirm removing the selected containers']").Click();
        page.WaitForAssertion(() => Assert.Equal(2, _actions.Calls.Count(c => c.Action == ContainerAction.Remove)));
    }

    [Fact]
    public void The_detail_page_removes_the_container_only_once_confirmed()
    {
        var page = Render<ContainerDetail>(p => p.Add(x => x.Host, "h1").Add(x => x.Id, "abc"));
        page.WaitForElement("dl.overview");

        page.FindAll("button").Single(b => b.TextContent == "Remove…").Click();
        page.FindAll("dialog.confirm-dialog button").Single(b => b.TextContent == "Cancel").Click();
        Assert.Empty(page.FindAll("dialog.confirm-dialog"));
        Assert.Empty(_actions.Calls);

        page.FindAll("button").Single(b => b.TextContent == "Remove…").Click();
        page.Find("dialog.confirm-dialog button.danger").Click();
        Assert.Equal((ContainerAction.Remove, "h1", "abc"), Assert.Single(_actions.Calls));
    }
}
