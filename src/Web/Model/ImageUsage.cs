using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>Which containers use an image: those of its host created from its id, or (when the agent gave no image id) from one of its tags.</summary>
public static class ImageUsage
{
    /// <summary>The containers of each image, keyed by (host, image id).</summary>
    public static Dictionary<(string Host, string Id), List<ContainerLink>> UsedBy(IEnumerable<ImageSummary> images, IEnumerable<ContainerSummary> containers)
    {
        var result = new Dictionary<(string, string), List<ContainerLink>>();
        var byTag = new Dictionary<(string Host, string Tag), string>();
        foreach (var image in images)
        {
            result[(image.Host, image.Id)] = [];
            foreach (var tag in image.RepoTags)
            {
                byTag[(image.Host, tag)] = image.Id;
                if (tag.StartsWith("docker.io/library/", StringComparison.Ordinal))
                {
                    byTag[(image.Host, tag["docker.io/library/".Length..])] = image.Id;
                }
            }
        }

        foreach (var container in containers)
        {
            var imageId = container.ImageId is { Length: > 0 } id ? id : Resolve(byTag, container.Host, container.Image);
            if (imageId is not null && result.TryGetValue((container.Host, imageId), out var users))
            {
                users.Add(new ContainerLink(container.Host, container.Id, Names.Display(container)));
            }
        }

        return result;
    }

    /// <summary>A container's image reference as the image it names: a tag (":latest" implied) or an id.</summary>
    private static string? Resolve(Dictionary<(string Host, string Tag), string> byTag, string host, string reference)
    {
        if (byTag.TryGetValue((host, reference), out var id) || byTag.TryGetValue((host, reference + ":latest"), out id))
        {
            return id;
        }

        return reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference : null;
    }
}
