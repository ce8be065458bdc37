// Scrolling for the log view: Blazor renders the lines, this only keeps the newest in sight while following.
export function scrollToBottom(element) {
    if (element) {
        element.scrollTop = element.scrollHeight;
    }
}

export function isNearBottom(element) {
    return !element || element.scrollHeight - element.scrollTop - element.clientHeight < 40;
}
