using System.Globalization;
using System.Text;

namespace ContainerConsole.Web.Model;

/// <summary>
/// A run of text with one style. <see cref="CssClass"/> holds only class names this parser makes
/// (<c>ansi-fg-1</c>, <c>ansi-bold</c>…); <see cref="CssStyle"/> holds only colours it formatted itself
/// (<c>color:#rrggbb</c>): nothing the container printed reaches the markup except as text.
/// </summary>
public sealed record AnsiSpan(string Text, string? CssClass, string? CssStyle);

/// <summary>
/// Turns text with ANSI escape sequences into styled spans: SGR (<c>ESC[…m</c>) bold, dim, italic, underline,
/// inverse, the 8/16 colours as classes, 256-colour and true colour as computed colours. Other escape sequences
/// (cursor moves, OSC titles) are dropped, never shown or interpreted.
/// </summary>
public static class AnsiText
{
    private const char Escape = '\u001b';

    public static IReadOnlyList<AnsiSpan> Parse(string text)
    {
        if (text.IndexOf(Escape) < 0)
        {
            return [new AnsiSpan(text, null, null)];
        }

        var spans = new List<AnsiSpan>();
        var style = new Style();
        var run = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != Escape)
            {
                run.Append(c);
                i++;
                continue;
            }

            Flush(spans, run, style);
            i = SkipOrApply(text, i, ref style, apply: true);
        }

        Flush(spans, run, style);
        return spans;
    }

    /// <summary>The text without any escape sequence (for search and download).</summary>
    public static string Strip(string text)
    {
        if (text.IndexOf(Escape) < 0)
        {
            return text;
        }

        // Every kept line is stripped once for search: skip sequences without building styles.
        var plain = new StringBuilder(text.Length);
        var style = new Style();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == Escape)
            {
                i = SkipOrApply(text, i, ref style, apply: false);
            }
            else
            {
                plain.Append(text[i++]);
            }
        }

        return plain.ToString();
    }

    private static void Flush(List<AnsiSpan> spans, StringBuilder run, Style style)
    {
        if (run.Length == 0)
        {
            return;
        }

        var span = new AnsiSpan(run.ToString(), style.CssClass(), style.CssStyle());
        run.Clear();
        // An escape that changed nothing (a cursor move, a repeated colour) does not split the text.
        if (spans.Count > 0 && spans[^1].CssClass == span.CssClass && spans[^1].CssStyle == span.CssStyle)
        {
            spans[^1] = span with { Text = spans[^1].Text + span.Text };
            return;
        }

        spans.Add(span);
    }

    /// <summary>Consumes the escape sequence at <paramref name="at"/>; returns the index after it.</summary>
    private static int SkipOrApply(string text, int at, ref Style style, bool apply)
    {
        var i = at + 1;
        if (i >= text.Length)
        {
            return i;
        }

        switch (text[i])
        {
            case '[':
                // CSI: parameter bytes 0x30–0x3F, intermediates 0x20–0x2F, then one final byte 0x40–0x7E.
                var paramStart = ++i;
                while (i < text.Length && text[i] is >= '0' and <= '?')
                {
                    i++;
                }

                var parameters = text[paramStart..i];
                while (i < text.Length && text[i] is >= ' ' and <= '/')
                {
                    i++;
                }

                if (i < text.Length && text[i] is >= '@' and <= '~')
                {
                    if (apply && text[i] == 'm')
                    {
                        style = style.Apply(parameters);
                    }

                    return i + 1;
                }

                return i;
            case ']':
                // OSC: up to BEL or ESC \.
                i++;
                while (i < text.Length)
                {
                    if (text[i] == '\a')
                    {
                        return i + 1;
                    }

                    if (text[i] == Escape && i + 1 < text.Length && text[i + 1] == '\\')
                    {
                        return i + 2;
                    }

                    i++;
                }

                return i;
            default:
                return i + 1; // a two-character escape (ESC c, ESC 7…)
        }
    }

    private readonly record struct Style(bool Bold, bool Dim, bool Italic, bool Underline, bool Inverse, Colour Foreground, Colour Background)
    {
        public Style Apply(string parameters)
        {
            var codes = parameters.Length == 0
                ? [0]
                : parameters.Split(';').Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).ToArray();
            var s = this;
            for (var k = 0; k < codes.Length; k++)
            {
                var code = codes[k];
                switch (code)
                {
                    case 0: s = default; break;
                    case 1: s = s with { Bold = true }; break;
                    case 2: s = s with { Dim = true }; break;
                    case 3: s = s with { Italic = true }; break;
                    case 4: s = s with { Underline = true }; break;
                    case 7: s = s with { Inverse = true }; break;
                    case 22: s = s with { Bold = false, Dim = false }; break;
                    case 23: s = s with { Italic = false }; break;
                    case 24: s = s with { Underline = false }; break;
                    case 27: s = s with { Inverse = false }; break;
                    case >= 30 and <= 37: s = s with { Foreground = Colour.Indexed(code - 30) }; break;
                    case 39: s = s with { Foreground = default }; break;
                    case >= 40 and <= 47: s = s with { Background = Colour.Indexed(code - 40) }; break;
                    case 49: s = s with { Background = default }; break;
                    case >= 90 and <= 97: s = s with { Foreground = Colour.Indexed(code - 90 + 8) }; break;
                    case >= 100 and <= 107: s = s with { Background = Colour.Indexed(code - 100 + 8) }; break;
                    case 38 or 48:
                        var colour = Extended(codes, ref k);
                        s = code == 38 ? s with { Foreground = colour } : s with { Background = colour };
                        break;
                }
            }

            return s;
        }

        /// <summary><c>5;n</c> (256 colours) or <c>2;r;g;b</c> after a 38 or 48 at <paramref name="k"/>.</summary>
        private static Colour Extended(int[] codes, ref int k)
        {
            if (k + 2 < codes.Length && codes[k + 1] == 5)
            {
                var n = codes[k + 2];
                k += 2;
                return n is >= 0 and <= 255 ? (n < 16 ? Colour.Indexed(n) : Colour.Rgb(Palette256(n))) : default;
            }

            if (k + 4 < codes.Length && codes[k + 1] == 2)
            {
                var rgb = (Math.Clamp(codes[k + 2], 0, 255) << 16) | (Math.Clamp(codes[k + 3], 0, 255) << 8) | Math.Clamp(codes[k + 4], 0, 255);
                k += 4;
                return Colour.Rgb(rgb);
            }

            k = codes.Length; // malformed: ignore the rest, as terminals do
            return default;
        }

        /// <summary>xterm's 256-colour cube (16–231) and grey ramp (232–255) as 0xRRGGBB.</summary>
        private static int Palette256(int n)
        {
            if (n >= 232)
            {
                var grey = 8 + (n - 232) * 10;
                return (grey << 16) | (grey << 8) | grey;
            }

            n -= 16;
            static int Level(int v) => v == 0 ? 0 : 55 + v * 40;
            return (Level(n / 36) << 16) | (Level(n / 6 % 6) << 8) | Level(n % 6);
        }

        public string? CssClass()
        {
            var (fg, bg) = Inverse ? (Background, Foreground) : (Foreground, Background);
            var classes = new List<string>(4);
            if (Bold) classes.Add("ansi-bold");
            if (Dim) classes.Add("ansi-dim");
            if (Italic) classes.Add("ansi-italic");
            if (Underline) classes.Add("ansi-underline");
            if (fg.Index is { } f) classes.Add($"ansi-fg-{f}");
            if (bg.Index is { } b) classes.Add($"ansi-bg-{b}");
            if (Inverse && fg.IsDefault) classes.Add("ansi-fg-inverse");
            if (Inverse && bg.IsDefault) classes.Add("ansi-bg-inverse");
            return classes.Count == 0 ? null : string.Join(' ', classes);
        }

        public string? CssStyle()
        {
            var (fg, bg) = Inverse ? (Background, Foreground) : (Foreground, Background);
            var parts = new List<string>(2);
            if (fg.Value is { } f) parts.Add($"color:#{f:x6}");
            if (bg.Value is { } b) parts.Add($"background-color:#{b:x6}");
            return parts.Count == 0 ? null : string.Join(';', parts);
        }
    }

    /// <summary>Default, one of the 16 palette colours (a class, so the theme picks the shade), or an exact colour.</summary>
    private readonly record struct Colour(int? Index, int? Value)
    {
        public bool IsDefault => Index is null && Value is null;

        public static Colour Indexed(int index) => new(index, null);

        public static Colour Rgb(int value) => new(null, value);
    }
}
