using ContainerConsole.Runtime.Cgroups;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Tests.Cgroups;

public class DeviceFilterProgramTests
{
    private const int C = DeviceFilterProgram.DevChar, B = DeviceFilterProgram.DevBlock;
    private const int M = 1, R = 2, W = 4;

    private static DeviceCgroupRule Rule(bool allow, string? type, long? major, long? minor, string? access) =>
        new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };

    private static int Eval(IReadOnlyList<DeviceCgroupRule> rules, int type, int access, uint major, uint minor) =>
        BpfInterpreter.Run(DeviceFilterProgram.Encode(DeviceFilterProgram.Generate(rules)), type, access, major, minor);

    [Fact]
    public void Generate_ExactInstructionBytes()
    {
        var rules = new[] { Rule(false, null, null, null, "rwm"), Rule(true, "c", 1, 3, "rw") };
        var hex = Convert.ToHexString(DeviceFilterProgram.Encode(DeviceFilterProgram.Generate(rules))).ToLowerInvariant();
        string[] expected =
        [
            "6112000000000000", // r2 = *(u32 *)(r1 + 0)   access_type
            "6114040000000000", // r4 = *(u32 *)(r1 + 4)   major
            "6115080000000000", // r5 = *(u32 *)(r1 + 8)   minor
            "bf23000000000000", // r3 = r2
            "7703000010000000", // r3 >>= 16               requested access
            "57020000ffff0000", // r2 &= 0xffff            device type
            // last rule first: allow c 1:3 rw
            "5502060002000000", // if r2 != 2 goto +6
            "5504050001000000", // if r4 != 1 goto +5
            "5505040003000000", // if r5 != 3 goto +4
            "57030000f9ffffff", // r3 &= ~6
            "5503020000000000", // if r3 != 0 goto +2
            "b700000001000000", // r0 = 1
            "9500000000000000", // exit
            // deny a *:* rwm
            "bf31000000000000", // r1 = r3
            "5701000007000000", // r1 &= 7
            "1501020000000000", // if r1 == 0 goto +2
            "b700000000000000", // r0 = 0
            "9500000000000000", // exit
            // default deny
            "b700000000000000",
            "9500000000000000",
        ];
        Assert.Equal(string.Concat(expected), hex);
    }

    [Fact]
    public void EmptyRuleListDeniesEverything()
    {
        var code = DeviceFilterProgram.Encode(DeviceFilterProgram.Generate([]));
        Assert.Equal(8 * 8, code.Length);
        Assert.Equal(0, BpfInterpreter.Run(code, C, R, 1, 3));
    }

    public static readonly List<DeviceCgroupRule> TypicalRules =
    [
        Rule(false, null, null, null, "rwm"),
        Rule(true, "c", null, null, "m"),
        Rule(true, "b", null, null, "m"),
        Rule(true, "c", 1, 3, "rwm"),   // /dev/null
        Rule(true, "c", 1, 5, "rwm"),   // /dev/zero
        Rule(true, "c", 136, null, "rwm"), // /dev/pts/*
        Rule(true, "c", 5, 1, "rw"),     // /dev/console
    ];

    [Theory]
    [InlineData(C, R | W, 1u, 3u, 1)]   // read/write /dev/null
    [InlineData(C, R, 136u, 7u, 1)]     // /dev/pts/7
    [InlineData(C, R, 5u, 1u, 1)]
    [InlineData(C, M, 5u, 1u, 1)]       // mknod of any char device
    [InlineData(C, M | R, 5u, 1u, 1)]   // bits allowed by different rules combine
    [InlineData(B, M, 8u, 0u, 1)]
    [InlineData(B, R, 8u, 0u, 0)]       // /dev/sda read
    [InlineData(C, R, 1u, 1u, 0)]       // /dev/mem
    [InlineData(C, W, 10u, 200u, 0)]    // /dev/net/tun
    public void TypicalContainerRules(int type, int access, uint major, uint minor, int expected) =>
        Assert.Equal(expected, Eval(TypicalRules, type, access, major, minor));

    [Fact]
    public void LaterDenyOverridesEarlierAllowPerAccessBit()
    {
        var rules = new[] { Rule(true, "c", 1, 3, "rwm"), Rule(false, "c", 1, 3, "w") };
        Assert.Equal(1, Eval(rules, C, R, 1, 3));
        Assert.Equal(0, Eval(rules, C, W, 1, 3));
        Assert.Equal(0, Eval(rules, C, R | W, 1, 3)); // O_RDWR asks for both at once
        Assert.Equal(1, Eval(rules, C, M | R, 1, 3));
    }

    [Fact]
    public void AllowAllAfterDenyAllIsPrivileged()
    {
        var rules = new[] { Rule(false, "a", null, null, "rwm"), Rule(true, "a", null, null, "rwm") };
        Assert.Equal(1, Eval(rules, B, R | W | M, 8, 0));
        Assert.Equal(1, Eval(rules, C, W, 4095, 1048575));
    }

    [Fact]
    public void MinusOneIsAWildcard()
    {
        var rules = new[] { Rule(true, "c", -1, -1, "r") };
        Assert.Equal(1, Eval(rules, C, R, 42, 7));
        Assert.Equal(0, Eval(rules, B, R, 42, 7));
    }

    /// <summary>Reference semantics: each requested bit is decided by the last matching rule naming it.</summary>
    private static int Model(IReadOnlyList<DeviceCgroupRule> rules, int type, int access, uint major, uint minor)
    {
        foreach (var bit in new[] { M, R, W })
        {
            if ((access & bit) == 0)
                continue;
            bool? decided = null;
            foreach (var rule in rules)
            {
                var t = rule.Type ?? "a";
                if (t != "a" && (t == "c" ? C : B) != type)
                    continue;
                if (rule.Major is { } ma && ma != -1 && ma != major)
                    continue;
                if (rule.Minor is { } mi && mi != -1 && mi != minor)
                    continue;
                if ((DeviceFilterProgram.AccessBits(rule.Access ?? "rwm") & bit) != 0)
                    decided = rule.Allow;
            }
            if (decided != true)
                return 0;
        }
        return 1;
    }

    [Fact]
    public void InterpreterAgreesWithReferenceModelOnRandomRuleLists()
    {
        var rng = new Random(12345);
        string?[] types = [null, "a", "c", "b"];
        long?[] majors = [null, 1, 8, 136];
        long?[] minors = [null, 0, 3, 5];
        string[] accesses = ["r", "w", "m", "rw", "rm", "wm", "rwm"];
        for (var round = 0; round < 300; round++)
        {
            var rules = Enumerable.Range(0, rng.Next(0, 7)).Select(_ => Rule(rng.Next(2) == 0,
                types[rng.Next(types.Length)], majors[rng.Next(majors.Length)], minors[rng.Next(minors.Length)],
                accesses[rng.Next(accesses.Length)])).ToList();
            var code = DeviceFilterProgram.Encode(DeviceFilterProgram.Generate(rules));
            foreach (var type in new[] { B, C })
            foreach (var major in new uint[] { 1, 8, 136, 200 })
            foreach (var minor in new uint[] { 0, 3, 5, 9 })
            for (var access = 1; access <= 7; access++)
            {
                var expected = Model(rules, type, access, major, minor);
                var actual = BpfInterpreter.Run(code, type, access, major, minor);
                Assert.True(expected == actual,
                    $"round {round}: type {type} {major}:{minor} access {access}: model {expected}, program {actual}");
            }
        }
    }

    [Fact]
    public void InvalidRulesAreSpecErrors()
    {
        Assert.Throws<SpecValidationException>(() => DeviceFilterProgram.Generate([Rule(true, "p", null, null, "r")]));
        Assert.Throws<SpecValidationException>(() => DeviceFilterProgram.Generate([Rule(true, "c", 1L << 40, null, "r")]));
        Assert.Throws<SpecValidationException>(() => DeviceFilterProgram.Generate([Rule(true, "c", -5, null, "r")]));
        Assert.Throws<SpecValidationException>(() => DeviceFilterProgram.Generate([Rule(true, "c", 1, 3, "rwx")]));
    }

    [Fact]
    public void InstructionRoundTrips()
    {
        var insn = new BpfInstruction(0x55, 3, 7, -2, -123456);
        var buf = new byte[8];
        insn.WriteTo(buf);
        Assert.Equal(insn, BpfInstruction.ReadFrom(buf));
    }
}
