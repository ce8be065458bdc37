// The terminal tab: xterm.js in the page, talking straight to the server's /hubs/terminal over SignalR with the
// browser's session cookie. Keystrokes and output never pass through the Blazor circuit.
const base = document.baseURI;
let libraries;

function script(path) {
    return new Promise((resolve, reject) => {
        const element = document.createElement("script");
        element.src = new URL(path, base).href;
        element.onload = resolve;
        element.onerror = () => reject(new Error(`Could not load ${path}`));
        document.head.appendChild(element);
    });
}

function load() {
    if (!libraries) {
        const css = document.createElement("link");
        css.rel = "stylesheet";
        css.href = new URL("_content/ContainerConsole.Web/lib/xterm/xterm.css", base).href;
        document.head.appendChild(css);
        libraries = Promise.all([
            script("_content/ContainerConsole.Web/lib/xterm/xterm.js"),
            script("_content/ContainerConsole.Web/lib/addon-fit/addon-fit.js"),
            script("_content/ContainerConsole.Web/lib/signalr/signalr.min.js"),
        ]);
    }
    return libraries;
}

function colours() {
    const style = getComputedStyle(document.documentElement);
    const dark = document.documentElement.dataset.theme === "dark";
    return {
        background: dark ? "#0c0f14" : "#1f2630",
        foreground: style.getPropertyValue("--cc-on-strong").trim() || "#f5f7fa",
    };
}

// Opens a session; status(kind, text) is called on the Blazor side with "open", "closed" or "error".
export async function open(element, host, container, status) {
    await load();
    const term = new window.Terminal({ cursorBlink: true, convertEol: false, fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace", fontSize: 14, theme: colours() });
    const fit = new window.FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(element);
    fit.fit();

    // Copy and paste: the browser's own paste works in the terminal; Ctrl+Shift+C / Ctrl+Shift+V as in desktop terminals.
    term.attachCustomKeyEventHandler(e => {
        if (e.type === "keydown" && e.ctrlKey && e.shiftKey && (e.code === "KeyC" || e.code === "KeyV")) {
            if (e.code === "KeyC") {
                copy(term);
            } else {
                paste(term);
            }
            e.preventDefault();
            return false;
        }
        return true;
    });

    const connection = new window.signalR.HubConnectionBuilder()
        .withUrl(new URL("hubs/terminal", base).href)
        .configureLogging(window.signalR.LogLevel.Warning)
        .build();
    const input = new window.signalR.Subject();
    const session = { term, fit, connection, input, disposables: [], closed: false };
    session.disposables.push(term.onData(data => input.next({ data })));
    session.disposables.push(term.onResize(size => input.next({ columns: size.cols, rows: size.rows })));
    const observer = new ResizeObserver(() => { try { fit.fit(); } catch { /* detached */ } });
    observer.observe(element);
    session.observer = observer;

    try {
        await connection.start();
    } catch (err) {
        status.invokeMethodAsync("Status", "error", `Could not reach the terminal hub: ${err.message ?? err}`);
        return session;
    }

    connection.stream("Open", host, container, { columns: term.cols, rows: term.rows }, input).subscribe({
        next: text => term.write(text),
        error: err => {
            session.closed = true;
            status.invokeMethodAsync("Status", "error", String(err.message ?? err).replace(/^.*HubException: /, ""));
        },
        complete: () => {
            session.closed = true;
            term.write("\r\n\x1b[2m[session ended]\x1b[0m\r\n");
            status.invokeMethodAsync("Status", "closed", "The shell ended.");
        },
    });
    status.invokeMethodAsync("Status", "open", "");
    term.focus();
    return session;
}

export function copy(session) {
    const term = session.term ?? session;
    const text = term.getSelection();
    if (text && navigator.clipboard) {
        navigator.clipboard.writeText(text);
    }
    return text;
}

export async function paste(session) {
    const term = session.term ?? session;
    if (navigator.clipboard?.readText) {
        term.paste(await navigator.clipboard.readText());
    }
    term.focus();
}

export function focus(session) {
    session.term.focus();
}

export async function close(session) {
    if (!session) {
        return;
    }
    session.observer?.disconnect();
    session.disposables.forEach(d => d.dispose());
    if (!session.closed) {
        session.input.complete();
    }
    try {
        await session.connection.stop();
    } finally {
        session.term.dispose();
    }
}
