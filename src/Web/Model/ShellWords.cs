using System.Text;

namespace ContainerConsole.Web.Model;

/// <summary>POSIX shell words: quoting one for a command line, and splitting a typed command into its words.</summary>
public static class ShellWords
{
    /// <summary>
    /// <paramref name="word"/> as the shell reads it back unchanged: bare when it holds only characters the shell
    /// gives no meaning to, otherwise in single quotes (inside which only <c>'</c> needs care: <c>'\''</c>).
    /// </summary>
    public static string Quote(string word)
    {
        if (word.Length > 0 && word.All(IsSafe))
        {
            return word;
        }

        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    private static bool IsSafe(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or ':' or '@' or '%' or '+' or ',' or '=';

    /// <summary>
    /// Splits a typed command into words as the shell would: blanks separate, single quotes keep everything, double
    /// quotes keep everything but <c>\"</c> and <c>\\</c>, a backslash outside quotes keeps the next character.
    /// No expansion happens (the container gets the words, not a shell).
    /// </summary>
    /// <exception cref="FormatException">A quote is not closed, or the text ends in a lone backslash.</exception>
    public static List<string> Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException("A single quote is not closed.");
                    }

                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
                        {
                            i++;
                        }

                        word.Append(text[i]);
                        i++;
                    }

                    if (i >= text.Length)
                    {
                        throw new FormatException("A double quote is not closed.");
                    }

                    inWord = true;
                    break;
                case '\\':
                    if (i + 1 >= text.Length)
                    {
                        throw new FormatException("The command ends in a lone backslash.");
                    }

                    word.Append(text[++i]);
                    inWord = true;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
