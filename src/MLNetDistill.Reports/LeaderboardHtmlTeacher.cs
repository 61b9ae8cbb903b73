using MLNetDistill.Evaluation;
using MLNetDistill.Experiments;

namespace MLNetDistill.Reports;

/// <summary>The teacher row of the HTML leaderboard: its metrics on the test rows (when measured), its file size, its cost on the axis and its calibration error.</summary>
/// <param name="Metrics">The teacher on the test rows, or <see langword="null"/> when not measured.</param>
/// <param name="ModelBytes">Its ONNX file's bytes (0 when unknown).</param>
/// <param name="Cost">Its cost on the leaderboard's axis, or <see langword="null"/>.</param>
/// <param name="ExpectedCalibrationError">Its ECE on the labeled test rows (NaN when unknown).</param>
/// <param name="Serving">What it costs to serve (latency in both forms), or <see langword="null"/> when not measured.</param>
internal sealed record LeaderboardHtmlTeacher(DistillationMetrics? Metrics, long ModelBytes, double? Cost, double ExpectedCalibrationError, LeaderboardTeacherCost? Serving);
