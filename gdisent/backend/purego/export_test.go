package purego

var WithDefaultExecution = withDefaultExecution
