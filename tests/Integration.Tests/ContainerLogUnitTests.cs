using System.Text;
using ContainerConsole.Agent.Api;
using ContainerConsole.Agent.Engine;

namespace ContainerConsole.Integration.Tests;

/// <summary>Reading the log files ccshim writes (CRI format) and framing them for `docker logs`.</summary>
public sealed class ContainerLogUnitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cc-logunit-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Log(params string[] files)
    {
        var log = Path.Combine(_dir, "container.log");
        // files: oldest first; the last is the live file, the others its rotations (.1 the newest of them)
        for (var i = 0; i < files.Length; i++)
        {
            var age = files.Length - 1 - i;
            File.WriteAllText(age == 0 ? log : $"{log}.{age}", files[i], new UTF8Encoding(false));
        }
        return log;
    }

    [Fact]
    public void Entries_keep_time_stream_partial_flag_and_text_with_its_carriage_returns_spaces_and_non_ascii()
    {
        var log = Log("2026-12-01T10:20:30.123456789Z stdout F hello  world\r\n" +
                      "2026-12-01T10:20:31.000000100Z stderr P half é ✓\n" +
                      "2026-12-01T10:20:32.5Z stdout F \n");

        var entries = ContainerLog.Read(log, 1).ToList();

        Assert.Equal(3, entries.Count);
        Assert.Equal(new DateTime(2026, 12, 1, 10, 20, 30, DateTimeKind.Utc).AddTicks(1_234_568), entries[0].Time);
        Assert.Equal(DateTimeKind.Utc, entries[0].Time.Kind);
        Assert.Equal(("stdout", false, "hello  world\r"), (entries[0].Stream, entries[0].Partial, entries[0].Text));
        Assert.Equal(new DateTime(2026, 12, 1, 10, 20, 31, DateTimeKind.Utc).AddTicks(1), entries[1].Time);
        Assert.Equal(("stderr", true, "half é ✓"), (entries[1].Stream, entries[1].Partial, entries[1].Text));
        Assert.Equal("", entries[2].Text);
    }

    [Fact]
    public void Lines_that_are_not_entries_are_skipped_and_an_unterminated_last_line_is_read()
    {
        var log = Log("garbage\n\nnot-a-time stdout F x\n2026-12-01T10:20:30Z stdout\n2026-12-01T10:20:30Z stdout F kept\n" +
                      "2026-12-01T10:20:31Z stdout F being written");

        Assert.Equal(["kept", "being written"], ContainerLog.Read(log, 1).Select(e => e.Text));
    }

    [Fact]
    public void Rotated_files_come_oldest_first_and_only_as_many_as_kept()
    {
        var log = Log("2026-12-01T10:00:00Z stdout F oldest\n", "2026-12-01T10:00:01Z stdout F older\n", "2026-12-01T10:00:02Z stdout F live\n");

        Assert.Equal(["oldest", "older", "live"], ContainerLog.Read(log, 3).Select(e => e.Text));
        Assert.Equal(["older", "live"], ContainerLog.Read(log, 2).Select(e => e.Text));
    }

    [Fact]
    public void A_line_longer_than_the_read_buffer_and_lines_across_its_edges_are_whole()
    {
        var longText = new string('x', 200_000) + "end";
        var lines = Enumerable.Range(0, 5000).Select(i => $"2026-12-01T10:00:00.{i:000000000}Z stdout F line {i}").ToList();
        lines.Insert(2500, $"2026-12-01T10:00:00Z stderr F {longText}");
        var log = Log(string.Join('\n', lines) + "\n");

        var entries = ContainerLog.Read(log, 1).ToList();

        Assert.Equal(5001, entries.Count);
        Assert.Equal(longText, entries[2500].Text);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => $"line {i}"), entries.Where(e => e.Stream == "stdout").Select(e => e.Text));
    }

    [Fact]
    public async Task The_backlog_is_the_wanted_entries_last_tail_in_docker_frames()
    {
        var log = Log("2026-12-01T10:00:00Z stdout F one\n2026-12-01T10:00:01Z stderr F two\n2026-12-01T10:00:02Z stdout P thr\n" +
                      "2026-12-01T10:00:03Z stdout F ee\n");
        using var body = new MemoryStream();

        await ContainersApi.WriteBacklog(body, ContainerLog.Read(log, 1), e => e.Text != "one", tail: 2, timestamps: false, raw: false, CancellationToken.None);

        byte[] Frame(byte stream, string text) => [stream, 0, 0, 0, 0, 0, 0, (byte)text.Length, .. Encoding.UTF8.GetBytes(text)];
        Assert.Equal([.. Frame(1, "thr"), .. Frame(1, "ee\n")], body.ToArray());
    }

    [Theory]
    [InlineData(0, "")]
    [InlineData(-1, "one\ntwo\n")] // dockerd reads a negative tail as all
    [InlineData(5, "one\ntwo\n")]
    public async Task A_tail_of_none_all_or_more_than_there_is(int tail, string expected)
    {
        var log = Log("2026-12-01T10:00:00Z stdout F one\n2026-12-01T10:00:01Z stdout F two\n");
        using var body = new MemoryStream();

        await ContainersApi.WriteBacklog(body, ContainerLog.Read(log, 1), _ => true, tail, timestamps: false, raw: true, CancellationToken.None);

        Assert.Equal(expected, Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public void A_read_keeps_the_files_it_opened_when_the_log_rotates_meanwhile()
    {
        var log = Log("2026-12-01T10:00:00Z stdout F old\n");
        File.WriteAllText(log + ".1", "2026-12-01T09:00:00Z stdout F older\n");
        using var entries = ContainerLog.Read(log, 2).GetEnumerator();
        Assert.True(entries.MoveNext());
        Assert.Equal("older", entries.Current.Text);
        // rotation: the live file becomes .1, the old .1 goes away, a new live file starts
        File.Move(log, log + ".1", overwrite: true);
        File.WriteAllText(log, "2026-12-01T11:00:00Z stdout F new\n");
        Assert.True(entries.MoveNext());
        Assert.Equal("old", entries.Current.Text);
        Assert.False(entries.MoveNext());
    }

    [Fact]
    public async Task A_frame_counts_the_text_in_utf8_bytes()
    {
        var log = Log("2026-12-01T10:00:00Z stderr F é✓\n");
        using var body = new MemoryStream();

        await ContainersApi.WriteBacklog(body, ContainerLog.Read(log, 1), _ => true, int.MaxValue, timestamps: false, raw: false, CancellationToken.None);

        Assert.Equal([2, 0, 0, 0, 0, 0, 0, 6, .. Encoding.UTF8.GetBytes("é✓\n")], body.ToArray());
    }

    [Fact]
    public async Task Timestamps_and_raw_output_for_a_terminal()
    {
        var log = Log("2026-12-01T10:00:00.5Z stdout F a\r\n");
        using var body = new MemoryStream();

        await ContainersApi.WriteBacklog(body, ContainerLog.Read(log, 1), _ => true, int.MaxValue, timestamps: true, raw: true, CancellationToken.None);

        Assert.Equal("2026-12-01T10:00:00.5000000Z a\r\n", Encoding.UTF8.GetString(body.ToArray()));
    }
}
