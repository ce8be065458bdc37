// Scrolling for the log view: Blazor renders the lines, this only keeps the newest in sight while following.
export function scrollToBottom(element) {
    if (element) {
        element.scrollTop = element.scrollHeight;
    }
}

export function isNearBottom(element) {
    return !element || element.scrollHeight - element.scrollTop - element.clientHeight < 40;
}

// Minutes east of UTC in this browser now (getTimezoneOffset counts west): the log view reads since/until in it.
export function utcOffsetMinutes() {
    return -new Date().getTimezoneOffset();
}
