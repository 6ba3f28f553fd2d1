using JasperFx.Events.Projections;
using Marten;

namespace PositionLedger.Issues;

public static class Configuration
{
    public static StoreOptions AddIssues(this StoreOptions options)
    {
        options.Projections.Add(new IssueProjection(), ProjectionLifecycle.Inline);
        return options;
    }
}
