public enum KernelsPlaceholder {}
