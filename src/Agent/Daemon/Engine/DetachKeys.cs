namespace ContainerConsole.Agent.Engine;

/// <summary>
/// Docker's detach keys ("ctrl-p,ctrl-q" by default): typed into an attached stdin they end
/// the attach and leave the process running; they are not passed on.
/// </summary>
public sealed class DetachKeys
{
    public const string Default = "ctrl-p,ctrl-q";
    private readonly byte[] _keys;
    private int _matched;

    private DetachKeys(byte[] keys) => _keys = keys;

    /// <summary>Docker's syntax: comma-separated single characters or ctrl-[a-z@\[\\\]^_].</summary>
    public static DetachKeys Parse(string? spec)
    {
        var text = string.IsNullOrEmpty(spec) ? Default : spec;
        var keys = new List<byte>();
        foreach (var part in text.Split(','))
        {
            if (part.Length == 1)
                keys.Add((byte)part[0]);
            else if (part.Length == 6 && part.StartsWith("ctrl-", StringComparison.Ordinal) && ControlCode(part[5]) is { } code)
                keys.Add(code);
            else
                throw EngineException.BadRequest($"Invalid detach keys ({text}) provided");
        }
        return new DetachKeys([.. keys]);
    }

    private static byte? ControlCode(char c) => c switch
    {
        >= 'a' and <= 'z' => (byte)(c - 'a' + 1),
        '@' => 0,
        '[' => 27,
        '\\' => 28,
        ']' => 29,
        '^' => 30,
        '_' => 31,
        _ => null,
    };

    /// <summary>
    /// Passes input through, holding back a possible start of the sequence across chunks.
    /// Returns what to forward; detached is true once the whole sequence was typed
    /// (input after it is dropped with the attach).
    /// </summary>
    public byte[] Scan(ReadOnlySpan<byte> input, out bool detached)
    {
        var output = new List<byte>(input.Length + _matched);
        detached = false;
        foreach (var b in input)
        {
            if (b != _keys[_matched] && _matched > 0)
            {
                output.AddRange(_keys.AsSpan(0, _matched)); // not the sequence after all: release what was held
                _matched = 0;
            }
            if (b == _keys[_matched])
            {
                if (++_matched == _keys.Length)
                {
                    _matched = 0;
                    detached = true;
                    return [.. output];
                }
            }
            else
            {
                output.Add(b);
            }
        }
        return [.. output];
    }
}
