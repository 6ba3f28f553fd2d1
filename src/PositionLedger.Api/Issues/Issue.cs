using Marten.Events.Projections;

namespace PositionLedger.Issues;

public sealed record IssueOpened(string IssueId, string Title, string? Description);

/// <summary>A negotiable question; the read model behind GET /api/issues.</summary>
public sealed record Issue(string Id, string Title, string? Description)
{
    public static string StreamKey(string issueId) => $"issue:{issueId}";

    public static Issue From(IssueOpened e) => new(e.IssueId, e.Title, e.Description);
}

public sealed partial class IssueProjection : EventProjection
{
    public Issue Create(IssueOpened e) => Issue.From(e);
}
