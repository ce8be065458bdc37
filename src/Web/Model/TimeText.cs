namespace ContainerConsole.Web.Model;

/// <summary>How the console says how long ago something happened.</summary>
public static class TimeText
{
    public static string Ago(DateTimeOffset now, DateTimeOffset then)
    {
        var age = now - then;
        return age switch
        {
            { TotalSeconds: < 60 } => "just now",
            { TotalMinutes: < 60 } => $"{(int)age.TotalMinutes} min ago",
            { TotalHours: < 48 } => $"{(int)age.TotalHours} h ago",
            _ => $"{(int)age.TotalDays} days ago",
        };
    }
}
