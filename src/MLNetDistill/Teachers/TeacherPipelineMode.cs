namespace MLNetDistill.Teachers;

/// <summary>How a teacher's cursor feeds ONNX Runtime (internal: the benchmark and the tests compare the ways).</summary>
internal enum TeacherPipelineMode
{
    /// <summary>Row by row through the cursor's getters into the input buffer, scored on the caller's thread (the general path).</summary>
    Off,

    /// <summary>Blocks decoded straight into the input buffer, a plain <c>Run</c>, all on the caller's thread.</summary>
    Blocks,

    /// <summary>As <see cref="Blocks"/>, through I/O binding to buffers allocated once.</summary>
    Bound,

    /// <summary>Blocks read on one thread and scored on another, ahead of the caller, through I/O binding (the default).</summary>
    Threads,

    /// <summary>As <see cref="Threads"/>, with the outputs bound to device memory and copied back (the CUDA path, on any device).</summary>
    BoundDevice,
}
