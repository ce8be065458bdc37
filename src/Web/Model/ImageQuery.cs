using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>The columns the images list sorts by.</summary>
public enum ImageColumn
{
    Repository,
    Tag,
    Created,
    Size,
    Host,
    UsedBy,
}

/// <summary>
/// One line of the images list as <c>docker images</c> prints it: one per tag (a dangling image once, as
/// <c>&lt;none&gt;</c>), with the containers that use the image.
/// </summary>
public sealed record ImageRow(ImageSummary Image, string Repository, string Tag, IReadOnlyList<ContainerLink> UsedBy)
{
    public const string None = "<none>";

    /// <summary>An image id as <c>docker images</c> shows it: 12 hex digits without the algorithm.</summary>
    public static string ShortId(string id) => Names.ShortId(id.Replace("sha256:", "", StringComparison.Ordinal));

    /// <summary>What the row's actions name: its tag, or the image id for a dangling image.</summary>
    public string Reference => Repository == None ? Image.Id : $"{Repository}:{Tag}";

    public static List<ImageRow> From(IEnumerable<ImageSummary> images, IEnumerable<ContainerSummary> containers)
    {
        var list = images.ToList();
        var usage = ImageUsage.UsedBy(list, containers);
        var rows = new List<ImageRow>();
        foreach (var image in list)
        {
            var users = usage.GetValueOrDefault((image.Host, image.Id)) ?? [];
            if (image.RepoTags.Count == 0)
            {
                rows.Add(new ImageRow(image, None, None, users));
            }

            foreach (var tag in image.RepoTags)
            {
                var colon = tag.LastIndexOf(':');
                var hasTag = colon > tag.LastIndexOf('/');
                rows.Add(new ImageRow(image, hasTag ? tag[..colon] : tag, hasTag ? tag[(colon + 1)..] : "latest", users));
            }
        }

        return rows;
    }
}

/// <summary>Search, host filter and sort order of the images list.</summary>
public sealed record ImageQuery(string Search = "", string Host = "", ImageColumn SortBy = ImageColumn.Created, bool Descending = true)
{
    public List<ImageRow> Apply(IEnumerable<ImageRow> rows)
    {
        var terms = Search.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shown = rows.Where(r => (Host.Length == 0 || r.Image.Host == Host) && terms.All(t => Matches(r, t)));
        Func<ImageRow, IComparable> key = SortBy switch
        {
            ImageColumn.Repository => r => r.Repository,
            ImageColumn.Tag => r => r.Tag,
            ImageColumn.Size => r => r.Image.Size,
            ImageColumn.Host => r => r.Image.Host,
            ImageColumn.UsedBy => r => r.UsedBy.Count,
            _ => r => r.Image.Created,
        };
        var sorted = Descending ? shown.OrderByDescending(key) : shown.OrderBy(key);
        return sorted.ThenBy(r => r.Repository, StringComparer.Ordinal).ThenBy(r => r.Tag, StringComparer.Ordinal).ToList();
    }

    /// <summary>Clicking the sorted column turns the order round; another column sorts ascending (newest first for time and size).</summary>
    public ImageQuery SortedBy(ImageColumn column) =>
        column == SortBy ? this with { Descending = !Descending } : this with { SortBy = column, Descending = column is ImageColumn.Created or ImageColumn.Size };

    private static bool Matches(ImageRow row, string term) =>
        row.Repository.Contains(term, StringComparison.OrdinalIgnoreCase)
        || row.Tag.Contains(term, StringComparison.OrdinalIgnoreCase)
        || row.Image.Id.Replace("sha256:", "", StringComparison.Ordinal).StartsWith(term, StringComparison.OrdinalIgnoreCase)
        || row.Image.Host.Contains(term, StringComparison.OrdinalIgnoreCase)
        || row.UsedBy.Any(c => c.Name.Contains(term, StringComparison.OrdinalIgnoreCase));
}
