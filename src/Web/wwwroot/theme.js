// Theme: the stored choice, else the system's (prefers-color-scheme). Loaded in <head> so the page never flashes
// the wrong theme. The toggle is any element with data-theme-toggle: handled here, so it works before and after
// Blazor connects and needs no interop.
(function () {
    var key = "cc-theme";
    var root = document.documentElement;
    function stored() {
        try { return localStorage.getItem(key); } catch (e) { return null; }
    }
    function system() {
        return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    }
    function apply(theme) {
        root.setAttribute("data-theme", theme);
    }
    apply(stored() || system());
    if (window.matchMedia) {
        window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
            if (!stored()) { apply(system()); }
        });
    }
    document.addEventListener("click", function (event) {
        var toggle = event.target instanceof Element ? event.target.closest("[data-theme-toggle]") : null;
        if (!toggle) { return; }
        var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
        apply(next);
        try { localStorage.setItem(key, next); } catch (e) { /* private mode: the choice lasts for this page */ }
    });
})();
