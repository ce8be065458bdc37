using System.Text;

namespace ContainerConsole.Runtime.Plan;

/// <summary>One step for the native helper: an op name and its fields.</summary>
public sealed record PlanRecord(string Op, IReadOnlyList<string> Fields)
{
    public override string ToString() => Fields.Count == 0 ? Op : $"{Op} {string.Join(' ', Fields)}";
}

/// <summary>
/// The plan that ccinit carries out. Serialized as length-prefixed tokens
/// ("5:mount," ... ";"), so any byte but NUL passes without escaping and the C
/// side needs no JSON parser. Tests read Records: the plan is the recording of
/// what would be done to the kernel.
/// </summary>
public sealed class InitPlan
{
    private readonly List<PlanRecord> _records = [];

    public IReadOnlyList<PlanRecord> Records => _records;

    public InitPlan Add(string op, params string[] fields)
    {
        foreach (var f in fields)
            if (f.Contains('\0'))
                throw new SpecValidationException($"{op}: value contains a NUL byte");
        _records.Add(new PlanRecord(op, fields));
        return this;
    }

    public IEnumerable<PlanRecord> All(string op) => _records.Where(r => r.Op == op);

    public PlanRecord? Find(string op) => _records.FirstOrDefault(r => r.Op == op);

    public byte[] Serialize()
    {
        var sb = new StringBuilder();
        foreach (var r in _records)
        {
            Token(sb, r.Op);
            foreach (var f in r.Fields)
                Token(sb, f);
            sb.Append(";\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static void Token(StringBuilder sb, string value) =>
        sb.Append(Encoding.UTF8.GetByteCount(value)).Append(':').Append(value).Append(',');
}
