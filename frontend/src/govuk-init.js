// Initialises GOV.UK Frontend 5.x components. Load with:
//   <script type="module" src="{% static 'vendor/govuk/govuk-init.js' %}"></script>
// Module scripts only run in browsers that GOV.UK Frontend supports, so adding
// the class here is safe; templates should still add it early (see base template)
// to avoid a flash of the no-JS layout.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
