using Builder.Frontend.Conversion;
using static Builder.Frontend.Tests.Conversion.ConversionHarness;

namespace Builder.Frontend.Tests.Conversion;

/// <summary>
/// BuildKit's <c>[stage n/total]</c> step names (dockerfile2llb): only FROM of an image, RUN,
/// COPY, ADD and WORKDIR count; the stage is named only when there is more than one; n is padded
/// to the width of total.
/// </summary>
public sealed class StepNumberingTests
{
    private static List<string> Names(string dockerfile, ConvertOptions? options = null) =>
        Convert(dockerfile, options).Vertices().Select(v => v.Description.Name).ToList();

    [Fact]
    public void Metadata_instructions_take_no_number_and_do_not_count()
    {
        var names = Names("FROM busybox\nENV A=1\nLABEL x=y\nRUN echo a\nUSER nobody\nEXPOSE 80\nCOPY f /f\nCMD [\"sh\"]\n");
        Assert.Contains("[1/3] FROM docker.io/library/busybox:latest", names);
        Assert.Contains("[2/3] RUN echo a", names);
        Assert.Contains("[3/3] COPY f /f", names);
    }

    [Fact]
    public void Workdir_counts_but_workdir_slash_makes_no_step_so_the_last_number_stays_below_the_total()
    {
        var names = Names("FROM busybox\nWORKDIR /app\nWORKDIR /\nRUN echo a\n");
        Assert.Contains("[2/4] WORKDIR /app", names);
        Assert.Contains("[3/4] RUN echo a", names);
    }

    [Fact]
    public void Stages_are_named_when_there_are_several_and_from_a_stage_or_scratch_takes_no_number()
    {
        var names = Names("FROM busybox AS build\nRUN echo one\nFROM build\nRUN echo two\nFROM scratch\nCOPY --from=1 /a /a\n");
        Assert.Contains("[build 1/2] FROM docker.io/library/busybox:latest", names);
        Assert.Contains("[build 2/2] RUN echo one", names);
        Assert.Contains("[stage-1 1/1] RUN echo two", names);
        Assert.Contains("[stage-2 1/1] COPY --from=1 /a /a", names);
    }

    [Fact]
    public void A_single_stage_copying_from_an_image_is_named_as_buildkit_counts_the_image_as_a_stage()
    {
        var names = Names("FROM busybox\nCOPY --from=alpine /etc/os-release /x\n");
        Assert.Contains("[stage-0 2/2] COPY --from=alpine /etc/os-release /x", names);
    }

    [Fact]
    public void The_number_is_padded_to_the_width_of_the_total()
    {
        var dockerfile = "FROM busybox\n" + string.Concat(Enumerable.Range(1, 10).Select(i => $"RUN echo {i}\n"));
        var names = Names(dockerfile);
        Assert.Contains("[ 1/11] FROM docker.io/library/busybox:latest", names);
        Assert.Contains("[ 9/11] RUN echo 8", names);
        Assert.Contains("[11/11] RUN echo 10", names);
    }

    [Fact]
    public void Onbuild_triggers_count_after_the_from_is_named_as_in_buildkit()
    {
        var resolver = new TriggerResolver(["ENV T=1", "RUN echo trigger"]);
        var names = Names("FROM busybox\nRUN echo mine\n", new ConvertOptions { ImageResolver = resolver });
        // BuildKit names the FROM before it reads the base's triggers, so its total lacks them.
        Assert.Contains("[1/2] FROM docker.io/library/busybox:latest", names);
        Assert.Contains("[2/4] ONBUILD RUN echo trigger", names);
        Assert.Contains("[3/4] RUN echo mine", names);
    }

    private sealed class TriggerResolver(IReadOnlyList<string> onBuild) : IImageResolver
    {
        public Task<ResolvedImage> ResolveAsync(Builder.Oci.References.ImageReference reference, Builder.Oci.Image.Platform platform, CancellationToken cancellationToken) =>
            Task.FromResult(new ResolvedImage(reference, "sha256:" + new string('a', 64), new Builder.Oci.Image.ImageConfig
            {
                Config = new Builder.Oci.Image.ContainerConfig { Env = ["PATH=/bin"], OnBuild = onBuild },
            }));
    }
}
