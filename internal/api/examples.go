package api

// example is an operation's request body and success answer, of the types
// its handler reads and answers (a test checks each against its schema).
type example struct{ request, response any }

// examples is the example of each operation with a body, by operationId.
var examples = map[string]example{}
