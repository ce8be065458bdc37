namespace ContainerConsole.Images.Tests.Layers;

/// <summary>A fact that needs root (lchown, mknod, trusted.* xattrs): skipped with "requires root" otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
            Skip = "requires root";
    }
}
