// Starts the GOV.UK Frontend and MOJ Frontend components on the page.
// Loaded with <script type="module">; both vendor files are ES modules copied by
// `python -m project.frontend`. Relative imports keep working whatever STATIC_URL is.
import { initAll as initGovukFrontend } from '../vendor/govuk/govuk-frontend.min.js'
import { initAll as initMojFrontend } from '../vendor/moj/moj-frontend.min.js'

initGovukFrontend()
initMojFrontend()
