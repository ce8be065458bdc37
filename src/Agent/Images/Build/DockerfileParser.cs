using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ContainerConsole.Images.Build;

/// <summary>A Dockerfile error; the message names the file and line (<c>Dockerfile:7: unknown instruction: FOO</c>).</summary>
public sealed class DockerfileException(string message) : Exception(message);

/// <summary>One instruction as written: keyword (upper case), leading --flags, the rest of the text, where it starts.</summary>
public sealed record RawInstruction(string Keyword, IReadOnlyList<RawFlag> Flags, string Args, int Line, string Original)
{
    /// <summary>The arguments as a JSON string array (exec form), or null when they are not one (shell form).</summary>
    public IReadOnlyList<string>? JsonArgs()
    {
        var t = Args.Trim();
        if (!t.StartsWith('['))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(t);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var list = new List<string>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String)
                {
                    return null;
                }

                list.Add(e.GetString()!);
            }

            return list;
        }
        catch (JsonException)
        {
            return null; // Docker: not valid JSON means shell form
        }
    }
}

public sealed record RawFlag(string Name, string? Value);

/// <summary>The lexical result: directives and instructions, with continuation lines joined and comments dropped.</summary>
public sealed record ParsedDockerfile(string FileName, char Escape, string? Syntax, IReadOnlyList<RawInstruction> Instructions);

/// <summary>
/// Dockerfile lexing as Docker does it: parser directives only at the very top, comment lines (also inside
/// continuations), continuation lines ending with the escape character, case-insensitive keywords.
/// </summary>
public static partial class DockerfileParser
{
    [GeneratedRegex(@"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$")]
    private static partial Regex DirectivePattern();

    private static readonly HashSet<string> FlagInstructions = ["FROM", "COPY", "ADD", "RUN", "HEALTHCHECK"];

    public static ParsedDockerfile Parse(string text, string fileName = "Dockerfile")
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r\n", "\n").Split('\n');
        if (lines.Length > 0 && lines[0].StartsWith('\uFEFF'))
        {
            lines[0] = lines[0][1..];
        }

        var escape = '\\';
        string? syntax = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        for (; i < lines.Length; i++)
        {
            var m = DirectivePattern().Match(lines[i]);
            if (!m.Success)
            {
                break;
            }

            var name = m.Groups[1].Value.ToLowerInvariant();
            if (name is not ("syntax" or "escape" or "check"))
            {
                break; // an unknown directive is a comment, and ends the directives
            }

            if (!seen.Add(name))
            {
                throw new DockerfileException($"{fileName}:{i + 1}: only one {name} parser directive can be used");
            }

            var value = m.Groups[2].Value;
            if (name == "escape")
            {
                if (value is not ("\\" or "`"))
                {
                    throw new DockerfileException($"{fileName}:{i + 1}: invalid escape token '{value}' does not match ` or \\");
                }

                escape = value[0];
            }
            else if (name == "syntax")
            {
                syntax = value;
            }
        }

        var instructions = new List<RawInstruction>();
        for (; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            var start = i;
            var sb = new StringBuilder();
            var current = line;
            while (true)
            {
                var body = current.TrimEnd();
                if (body.EndsWith(escape))
                {
                    sb.Append(body, 0, body.Length - 1);
                    // the next line that is neither empty nor a comment continues this instruction
                    i++;
                    while (i < lines.Length && (lines[i].Trim().Length == 0 || lines[i].TrimStart().StartsWith('#')))
                    {
                        i++;
                    }

                    if (i >= lines.Length)
                    {
                        break; // a continuation at the end of the file ends the instruction
                    }

                    current = lines[i];
                    continue;
                }

                sb.Append(current);
                break;
            }

            var joined = sb.ToString().Trim();
            instructions.Add(Split(joined, start + 1, fileName, joined));
        }

        return new ParsedDockerfile(fileName, escape, syntax, instructions);
    }

    private static RawInstruction Split(string text, int line, string fileName, string original)
    {
        var sp = 0;
        while (sp < text.Length && !char.IsWhiteSpace(text[sp]))
        {
            sp++;
        }

        var keyword = text[..sp].ToUpperInvariant();
        var rest = text[sp..].TrimStart();
        var flags = new List<RawFlag>();
        if (FlagInstructions.Contains(keyword))
        {
            while (rest.StartsWith("--", StringComparison.Ordinal))
            {
                var end = 0;
                while (end < rest.Length && !char.IsWhiteSpace(rest[end]))
                {
                    end++;
                }

                var token = rest[2..end];
                if (token.Length == 0)
                {
                    break; // "--" alone is an argument
                }

                var eq = token.IndexOf('=');
                flags.Add(eq < 0 ? new RawFlag(token, null) : new RawFlag(token[..eq], token[(eq + 1)..]));
                rest = rest[end..].TrimStart();
            }
        }

        if (keyword.Length == 0)
        {
            throw new DockerfileException($"{fileName}:{line}: empty instruction");
        }

        return new RawInstruction(keyword, flags, rest, line, original);
    }
}
