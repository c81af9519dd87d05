// Card payments with Stripe.js. The card number never reaches the council's server: Stripe.js turns it
// into a payment method id, which the form posts; the server creates and confirms the PaymentIntent.
// On the waiting page, Stripe.js finishes any bank authentication (3-D Secure), then the page re-checks
// until Stripe's webhook has been recorded.
(function () {
  "use strict";

  function showError(message) {
    var box = document.getElementById("card-errors");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = false;
  }

  var form = document.getElementById("card-form");
  if (form && typeof Stripe === "function") {
    var stripe = Stripe(form.getAttribute("data-stripe-key"));
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var button = document.getElementById("pay-button");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      button.disabled = true;
      var id = null;
      try {
        var created = await stripe.createPaymentMethod({ type: "card", card: card });
        if (created && created.paymentMethod) {
          id = created.paymentMethod.id;
        } else if (created && created.error) {
          throw created.error;
        } else {
          // Older Stripe.js (and localstripe's mock) tokenise the card instead.
          var tokenised = await stripe.createToken(card);
          if (tokenised.error) { throw tokenised.error; }
          id = tokenised.token.card.id;
        }
      } catch (error) {
        showError((error && error.message) || form.getAttribute("data-card-error"));
        button.disabled = false;
        return;
      }
      document.getElementById("payment_method").value = id;
      form.submit();
    });
  }

  var waiting = document.getElementById("card-waiting");
  if (waiting) {
    var secret = waiting.getAttribute("data-client-secret");
    var again = function () { window.setTimeout(function () { window.location.reload(); }, 2000); };
    if (secret && typeof Stripe === "function" && !sessionStorage.getItem("authenticated:" + secret)) {
      sessionStorage.setItem("authenticated:" + secret, "1");
      Stripe(waiting.getAttribute("data-stripe-key")).confirmCardPayment(secret).then(function (result) {
        if (result && result.error && result.error.message) { showError(result.error.message); }
        again();
      }, again);
    } else {
      again();
    }
  }
})();
