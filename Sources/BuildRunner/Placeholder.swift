public enum BuildRunnerPlaceholder {}
