using JasperFx.Events.Projections;
using Marten;
using Microsoft.OpenApi;
using PositionLedger.Infrastructure;

namespace PositionLedger.Reviews;

public static class Configuration
{
    public static IServiceCollection AddReviews(this IServiceCollection services, IConfiguration configuration) =>
        services
            .AddSingleton(new Editorial(configuration.GetValue(Editorial.RequireReviewSetting, false)))
            .AddSingleton<PendingPreview>()
            .Configure<OpenApiContributions>(openApi =>
            {
                openApi.Vocabularies.Add(new("status", "proposal", ProposalStatuses.All));
                openApi.Vocabularies.Add(
                    new("kind", "baseVersion", [ProposalKinds.Statement, ProposalKinds.Correction, ProposalKinds.Retraction]));
                // An approval may come without a note.
                openApi.Schemas.Add((_, schemas) =>
                {
                    if (schemas.TryGetValue(nameof(ApproveProposal), out var found) && found is OpenApiSchema approval)
                        approval.Required?.Remove("note");
                });
            });

    /// <summary>Proposals are kept inline as snapshots: the queue is one query.</summary>
    public static StoreOptions AddReviews(this StoreOptions options)
    {
        options.Projections.Snapshot<Proposal>(SnapshotLifecycle.Inline);
        options.Schema.For<Proposal>().Index(p => p.Status);
        return options;
    }
}
