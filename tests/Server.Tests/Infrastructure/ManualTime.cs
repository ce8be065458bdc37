namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>A clock the test moves by hand; timers still run on real time.</summary>
public sealed class ManualTime : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
        }
    }
}
