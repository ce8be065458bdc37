using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ContainerConsole.Runtime.Tests.TestSupport;

namespace ContainerConsole.Runtime.Tests.Plan;

/// <summary>
/// The real C plan parser (src/Agent/Native/plan.c), linked into a tiny driver
/// compiled with gcc once per test class: reads a plan on stdin and prints each
/// record as a JSON array of strings, one line per record.
/// </summary>
public sealed class NativePlanParser : IDisposable
{
    private const string DriverSource = """
        #include "plan.h"

        #include <stdio.h>

        static void json_string(const char *s)
        {
            putchar('"');
            for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\')
                    printf("\\%c", *p);
                else if (*p < 0x20)
                    printf("\\u%04x", *p);
                else
                    putchar(*p);
            }
            putchar('"');
        }

        int main(void)
        {
            struct plan p;
            char err[512];
            if (plan_read(0, &p, err, sizeof(err)) < 0) {
                fprintf(stderr, "%s\n", err);
                return 2;
            }
            for (int i = 0; i < p.nrecords; i++) {
                putchar('[');
                json_string(p.records[i].op);
                for (int j = 0; j < p.records[i].nfields; j++) {
                    putchar(',');
                    json_string(p.records[i].f[j]);
                }
                puts("]");
            }
            return 0;
        }
        """;

    private readonly TempDirectory _dir = new();
    private readonly Lazy<string> _binary;

    public NativePlanParser() => _binary = new Lazy<string>(Compile);

    public void Dispose() => _dir.Dispose();

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public List<string[]> Records() =>
            Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<string[]>(l)!).ToList();
    }

    public Result Parse(byte[] plan) => Run(_binary.Value, plan);

    private static string? FindGcc() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, "gcc"))
        .FirstOrDefault(File.Exists);

    private string Compile()
    {
        var gcc = FindGcc() ?? throw new InvalidOperationException(
            "gcc was not found on PATH. It is a build requirement of this repository (the native helpers in src/Agent/Native " +
            "are built with it), and these tests compile plan.c with it: install gcc and rerun.");
        var native = Path.Combine(RepoRoot.Path, "src", "Agent", "Native");
        var source = _dir.WriteFile("plan_driver.c", DriverSource);
        var output = _dir["plan_driver"];
        var psi = new ProcessStartInfo(gcc)
        {
            ArgumentList = { "-std=gnu11", "-O1", "-Wall", "-Wextra", "-Werror", "-I", native, "-o", output, source, Path.Combine(native, "plan.c") },
        };
        var r = Run(psi, []);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"compiling the plan parser driver failed ({r.ExitCode}):\n{r.Stderr}{r.Stdout}");
        return output;
    }

    private static Result Run(string binary, byte[] stdin) => Run(new ProcessStartInfo(binary), stdin);

    private static Result Run(ProcessStartInfo psi, byte[] stdin)
    {
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        psi.StandardOutputEncoding = Encoding.UTF8;
        psi.StandardErrorEncoding = Encoding.UTF8;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // the program stopped reading early; its exit code and stderr tell why
        }
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill();
            throw new TimeoutException($"{psi.FileName} did not finish within 60 s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
