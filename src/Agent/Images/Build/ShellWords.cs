using System.Text;

namespace ContainerConsole.Images.Build;

/// <summary>
/// Docker's word processing for Dockerfile arguments: quotes, the escape character and variable substitution
/// ($x, ${x}, ${x:-word}, ${x-word}, ${x:+word}, ${x+word}, ${x:?msg}, ${x?msg}). Used by the instructions Docker
/// substitutes in (FROM, COPY, ADD, ENV, ARG, LABEL, EXPOSE, USER, VOLUME, WORKDIR, STOPSIGNAL).
/// </summary>
public static class ShellWords
{
    /// <summary>
    /// Splits <paramref name="text"/> at unquoted whitespace, keeping quotes and escapes in each word (they are
    /// removed later by <see cref="Expand"/>). Throws <see cref="FormatException"/> on an unterminated quote.
    /// </summary>
    public static List<string> Split(string text, char escape)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quote == '\0' && char.IsWhiteSpace(ch))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }

                continue;
            }

            inWord = true;
            current.Append(ch);
            if (ch == escape && quote != '\'' && i + 1 < text.Length)
            {
                current.Append(text[++i]);
            }
            else if (quote == '\0' && ch is '"' or '\'')
            {
                quote = ch;
            }
            else if (ch == quote)
            {
                quote = '\0';
            }
        }

        if (quote != '\0')
        {
            throw new FormatException($"unexpected end of statement while looking for matching {quote}");
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    /// <summary>
    /// Removes quotes and escapes from one word and substitutes variables (not inside single quotes).
    /// <paramref name="lookup"/> returns null for an unset variable. Throws <see cref="FormatException"/> on bad syntax.
    /// </summary>
    public static string Expand(string word, Func<string, string?> lookup, char escape)
    {
        var pos = 0;
        var result = ExpandUntil(word, ref pos, lookup, escape, stopAtBrace: false);
        return result;
    }

    private static string ExpandUntil(string s, ref int pos, Func<string, string?> lookup, char escape, bool stopAtBrace)
    {
        var sb = new StringBuilder();
        while (pos < s.Length)
        {
            var ch = s[pos];
            if (stopAtBrace && ch == '}')
            {
                return sb.ToString();
            }

            if (ch == escape)
            {
                pos++;
                if (pos < s.Length)
                {
                    sb.Append(s[pos++]);
                }
                else
                {
                    sb.Append(ch); // a trailing escape stays
                }

                continue;
            }

            switch (ch)
            {
                case '\'':
                    var end = s.IndexOf('\'', pos + 1);
                    if (end < 0)
                    {
                        throw new FormatException("unexpected end of statement while looking for matching '");
                    }

                    sb.Append(s, pos + 1, end - pos - 1);
                    pos = end + 1;
                    break;
                case '"':
                    pos++;
                    sb.Append(DoubleQuoted(s, ref pos, lookup, escape));
                    break;
                case '$':
                    sb.Append(Variable(s, ref pos, lookup, escape));
                    break;
                default:
                    sb.Append(ch);
                    pos++;
                    break;
            }
        }

        if (stopAtBrace)
        {
            throw new FormatException("missing '}' in variable substitution");
        }

        return sb.ToString();
    }

    private static string DoubleQuoted(string s, ref int pos, Func<string, string?> lookup, char escape)
    {
        var sb = new StringBuilder();
        while (pos < s.Length)
        {
            var ch = s[pos];
            if (ch == '"')
            {
                pos++;
                return sb.ToString();
            }

            if (ch == escape && pos + 1 < s.Length)
            {
                var next = s[pos + 1];
                // inside double quotes the escape only protects ", $ and itself, as in sh
                if (next == '"' || next == '$' || next == escape)
                {
                    sb.Append(next);
                }
                else
                {
                    sb.Append(ch).Append(next);
                }

                pos += 2;
                continue;
            }

            if (ch == '$')
            {
                sb.Append(Variable(s, ref pos, lookup, escape));
                continue;
            }

            sb.Append(ch);
            pos++;
        }

        throw new FormatException("unexpected end of statement while looking for matching \"");
    }

    private static string Variable(string s, ref int pos, Func<string, string?> lookup, char escape)
    {
        pos++; // '$'
        if (pos >= s.Length)
        {
            return "$";
        }

        if (s[pos] != '{')
        {
            var start = pos;
            while (pos < s.Length && IsNameChar(s[pos], pos == start))
            {
                pos++;
            }

            return pos == start ? "$" : lookup(s[start..pos]) ?? "";
        }

        pos++; // '{'
        var nameStart = pos;
        while (pos < s.Length && IsNameChar(s[pos], pos == nameStart))
        {
            pos++;
        }

        if (pos == nameStart)
        {
            throw new FormatException($"bad substitution in \"{s}\": missing variable name");
        }

        var name = s[nameStart..pos];
        if (pos >= s.Length)
        {
            throw new FormatException("missing '}' in variable substitution");
        }

        if (s[pos] == '}')
        {
            pos++;
            return lookup(name) ?? "";
        }

        var colon = s[pos] == ':';
        if (colon)
        {
            pos++;
        }

        if (pos >= s.Length || s[pos] is not ('-' or '+' or '?'))
        {
            throw new FormatException($"unsupported modifier in \"{s}\": only :-, :+, :? (and -, +, ?) are");
        }

        var op = s[pos++];
        var word = ExpandUntil(s, ref pos, lookup, escape, stopAtBrace: true);
        pos++; // '}'
        var value = lookup(name);
        var set = colon ? !string.IsNullOrEmpty(value) : value is not null;
        return op switch
        {
            '-' => set ? value! : word,
            '+' => set ? word : "",
            _ => set ? value! : throw new FormatException($"{name}: {(word.Length > 0 ? word : "is not allowed to be unset")}"),
        };
    }

    private static bool IsNameChar(char c, bool first) => c == '_' || char.IsAsciiLetter(c) || (!first && char.IsAsciiDigit(c));
}
