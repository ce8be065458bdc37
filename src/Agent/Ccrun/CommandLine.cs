namespace ContainerConsole.Ccrun;

/// <summary>runc-style arguments: global flags, a verb, its flags, then positionals.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _values = [];
    private readonly HashSet<string> _flags = [];

    public List<string> Positionals { get; } = [];

    public string? Verb { get; private set; }

    public static CommandLine Parse(string[] args, IReadOnlySet<string> booleanFlags)
    {
        var cl = new CommandLine();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (cl.Verb is not null && cl.Positionals.Count > 0 && cl.Verb == "exec")
            {
                cl.Positionals.Add(a); // after the id, exec's command line is the process's own
                continue;
            }
            if (a == "--")
            {
                cl.Positionals.AddRange(args[(i + 1)..]);
                break;
            }
            if (a.StartsWith('-') && a.Length > 1)
            {
                var name = a.TrimStart('-');
                string? value = null;
                var eq = name.IndexOf('=');
                if (eq >= 0)
                {
                    value = name[(eq + 1)..];
                    name = name[..eq];
                }
                if (booleanFlags.Contains(name))
                {
                    if (value is null or "true")
                        cl._flags.Add(name);
                    continue;
                }
                if (value is null)
                {
                    if (i + 1 >= args.Length)
                        throw new ArgumentException($"flag needs an argument: {a}");
                    value = args[++i];
                }
                if (!cl._values.TryGetValue(name, out var list))
                    cl._values[name] = list = [];
                list.Add(value);
                continue;
            }
            if (cl.Verb is null)
                cl.Verb = a;
            else
                cl.Positionals.Add(a);
        }
        return cl;
    }

    public string? Get(params string[] names) =>
        names.Select(n => _values.TryGetValue(n, out var v) ? v[^1] : null).FirstOrDefault(v => v is not null);

    public IReadOnlyList<string> GetAll(params string[] names) =>
        names.SelectMany(n => _values.TryGetValue(n, out var v) ? v : []).ToList();

    public bool Has(params string[] names) => names.Any(_flags.Contains);
}
