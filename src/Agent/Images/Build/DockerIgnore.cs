using System.Text;
using System.Text.RegularExpressions;

namespace ContainerConsole.Images.Build;

/// <summary>
/// .dockerignore as Docker reads it: one pattern a line, '#' comment lines, patterns path-cleaned and made relative,
/// '*' and '?' within one path element, '**' across any number of them, '!' re-includes, and the last matching rule
/// wins. A pattern that matches a directory excludes everything under it.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclusion)> _rules = [];

    public DockerIgnore(IEnumerable<string> patterns)
    {
        foreach (var line in patterns)
        {
            var p = line.Trim();
            if (p.Length == 0 || p.StartsWith('#'))
            {
                continue;
            }

            var exclusion = p.StartsWith('!');
            if (exclusion)
            {
                p = p[1..].Trim();
            }

            p = Clean(p);
            if (p.Length == 0 || p == ".")
            {
                continue; // "." would exclude the whole context; Docker ignores it as well
            }

            _rules.Add((Compile(p), exclusion));
        }
    }

    public static DockerIgnore Parse(string text) => new(text.Replace("\r\n", "\n").Split('\n'));

    public bool IsEmpty => _rules.Count == 0;

    /// <summary>Whether the context path (relative, '/'-separated) is left out of the build.</summary>
    public bool IsExcluded(string path)
    {
        path = Clean(path);
        var parents = new List<string>();
        var parts = path.Split('/');
        for (var i = 1; i < parts.Length; i++)
        {
            parents.Add(string.Join('/', parts[..i]));
        }

        var excluded = false;
        foreach (var (pattern, exclusion) in _rules)
        {
            // a pattern matching the path itself or one of its parent directories applies to it
            if (pattern.IsMatch(path) || parents.Any(pattern.IsMatch))
            {
                excluded = !exclusion;
            }
        }

        return excluded;
    }

    /// <summary>filepath.Clean, then relative to the context root.</summary>
    public static string Clean(string path)
    {
        var stack = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (stack.Count > 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                }

                continue;
            }

            stack.Add(part);
        }

        return stack.Count == 0 ? "." : string.Join('/', stack);
    }

    private static Regex Compile(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var ch = pattern[i];
            switch (ch)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    {
                        i++;
                        sb.Append("(.*/)?"); // "**/" is zero or more directories
                    }
                    else
                    {
                        sb.Append(".*");
                    }

                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0)
                    {
                        throw new FormatException($".dockerignore: syntax error in pattern \"{pattern}\"");
                    }

                    var cls = pattern[(i + 1)..end];
                    sb.Append('[').Append(cls.StartsWith('^') || cls.StartsWith('!') ? "^" + Regex.Escape(cls[1..]) : Regex.Escape(cls)).Append(']');
                    i = end;
                    break;
                case '\\' when i + 1 < pattern.Length:
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                default:
                    sb.Append(Regex.Escape(ch.ToString()));
                    break;
            }
        }

        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
