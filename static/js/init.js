// Runs at the start of <body> (an external file: the Content Security Policy forbids inline scripts).
// Tells GOV.UK Frontend's CSS that JavaScript is available and whether ES modules are supported.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')
